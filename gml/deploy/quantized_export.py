"""From checkpoints to ONNX: a QAT checkpoint (int8), a float checkpoint
(fp32), or a float checkpoint quantized after training (PTQ, int8).

Each entry point checks it was given the kind of checkpoint it expects: a
float checkpoint exported as if QAT-trained (or the reverse) is refused
with a message saying which tool fits it.
"""
import copy
from typing import Dict, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from gml.registry import MODELS
from gml.utils.errors import ConfigError

from .model_config import (build_float_model, build_quantizer, config_scope,
                           input_shape, is_qat_config, preprocessing_metadata)
from .onnx_export import export_onnx


def export_qat(cfg: Config, checkpoint: str, out: str) -> Dict:
    """Convert a QAT checkpoint of ``cfg`` (a gml.QAT config) to int8 and
    write it as QDQ ONNX."""
    if not is_qat_config(cfg):
        raise ConfigError(
            f'{cfg.filename}: model type {cfg.model.get("type")!r} is not '
            'gml.QAT; to export a float model pass --float')
    from gml.models.algorithms.quantization import (load_checked,
                                                    read_state_dict)
    state = read_state_dict(checkpoint, 'CKPT', 'qat')
    with config_scope(cfg):
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg['float_checkpoint'] = None
        if cfg.get('data_preprocessor') is not None:  # as the Runner does
            model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
        qat = MODELS.build(model_cfg)
        load_checked(qat, state, checkpoint)
        int8 = qat.convert()
        meta = dict(kind='int8-qdq', method='qat', source=checkpoint,
                    input_shape=list(qat.input_shape),
                    **preprocessing_metadata(qat))
        return export_onnx(int8, qat.input_shape, out, meta)


def export_float(cfg: Config, checkpoint: str, out: str,
                 shape: Optional[Sequence[int]] = None) -> Dict:
    """Write the float model of ``cfg`` with ``checkpoint`` as fp32 ONNX."""
    from gml.models.algorithms.quantization import load_float_checkpoint
    shape = input_shape(cfg, shape)
    with config_scope(cfg):
        model = build_float_model(cfg)
        load_float_checkpoint(model, checkpoint, 'checkpoint')
        model.eval()
        meta = dict(kind='fp32', method='float', source=checkpoint,
                    input_shape=list(shape), **preprocessing_metadata(model))
        return export_onnx(model, shape, out, meta)


def quantize_ptq(cfg: Config, checkpoint: str, out: str,
                 calib_batches: int = 32, seed: int = 0,
                 shape: Optional[Sequence[int]] = None) -> Dict:
    """Post-training quantization: calibrate the float model of ``cfg`` on
    ``calib_batches`` training batches (preprocessed like the test split),
    convert it to int8 and write it as QDQ ONNX."""
    from gml.models.algorithms.quantization import load_float_checkpoint
    if calib_batches < 1:
        raise ConfigError(f'--calib-batches must be >= 1, got '
                          f'{calib_batches}')
    shape = input_shape(cfg, shape)
    with config_scope(cfg):
        model = build_float_model(cfg)
        load_float_checkpoint(model, checkpoint, 'FLOAT_CKPT')
        pt2e = _pt2e()
        example = (torch.randn(2, *shape), )
        prepared = pt2e.prepare(model, build_quantizer(cfg), example,
                                qat=False)
        used = 0
        with torch.no_grad():
            for batch in calibration_loader(cfg, seed):
                data = model.data_preprocessor(batch, False)
                prepared(data['inputs'])
                used += 1
                if used >= calib_batches:
                    break
        int8 = pt2e.convert(prepared)
        meta = dict(kind='int8-qdq', method='ptq', source=checkpoint,
                    calib_batches=used, input_shape=list(shape),
                    **preprocessing_metadata(model))
        summary = export_onnx(int8, shape, out, meta)
        summary['calib_batches'] = used
        return summary


def calibration_loader(cfg: Config, seed: int = 0):
    """The training split, shuffled, with the test split's pipeline (no
    augmentation: calibration should see what inference sees)."""
    if not cfg.get('train_dataloader'):
        raise ConfigError('the config has no train_dataloader to calibrate '
                          'on')
    loader = copy.deepcopy(cfg.train_dataloader)
    test_pipeline = (cfg.get('test_dataloader') or {}).get(
        'dataset', {}).get('pipeline')
    if test_pipeline is not None and 'pipeline' in loader['dataset']:
        loader['dataset']['pipeline'] = copy.deepcopy(test_pipeline)
    loader['sampler'] = dict(type='DefaultSampler', shuffle=True)
    loader.pop('batch_sampler', None)
    return Runner.build_dataloader(loader, seed=seed)


def _pt2e():
    from gml.models import quantizers
    return quantizers.pt2e
