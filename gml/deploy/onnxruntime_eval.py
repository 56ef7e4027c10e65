"""Evaluate an ONNX classifier with onnxruntime on a config's test split.

The accuracy of an int8 model measured this way is that of the integer
execution a deployment runs, not of PyTorch's fake quantization. The
config's data preprocessor normalizes the images (as the exported model
expects), onnxruntime computes the logits, and the config's head turns
them into predictions for the config's test evaluator.
"""
import os.path as osp
from typing import Dict, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner

from gml.utils.errors import ConfigError

from .model_config import build_float_model, config_scope


def ort_session(path: str, threads: Optional[int] = None):
    """An onnxruntime CPU session with all graph optimizations (QDQ
    fusion into integer kernels included)."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.graph_optimization_level = \
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only
    if threads:
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(path, options,
                                    providers=['CPUExecutionProvider'])
    except Exception as e:  # onnxruntime raises its own exception types
        raise ConfigError(f'onnxruntime cannot load {path!r}: '
                          f'{str(e).strip().splitlines()[0]}') from None


def evaluate_onnx(cfg: Config, path: str,
                  threads: Optional[int] = None) -> Dict[str, float]:
    """Top-1 etc. (the config's ``test_evaluator``) of the ONNX model at
    ``path`` on the config's ``test_dataloader``."""
    if not osp.isfile(path):
        raise ConfigError(f'ONNX model {path!r} does not exist')
    for key in ('test_dataloader', 'test_evaluator'):
        if not cfg.get(key):
            raise ConfigError(f'the config has no {key}: nothing to test')
    session = ort_session(path, threads)
    inp = session.get_inputs()[0]
    with config_scope(cfg):
        model = build_float_model(cfg)
        from gml.models.algorithms.quantization import classifier_head
        head = classifier_head(model)
        loader = Runner.build_dataloader(cfg.test_dataloader)
        evaluator = Evaluator(cfg.test_evaluator)
        evaluator.dataset_meta = getattr(loader.dataset, 'metainfo', None)
        _check_shape(inp.shape, path)
        with torch.no_grad():
            for batch in loader:
                data = model.data_preprocessor(batch, False)
                inputs = data['inputs'].float().numpy()
                if list(inputs.shape[1:]) != list(inp.shape[1:]):
                    raise ConfigError(
                        f'{path}: the model takes {list(inp.shape[1:])} '
                        'images, the test split gives '
                        f'{list(inputs.shape[1:])}; export at the test '
                        'pipeline\'s size')
                logits = session.run(None, {inp.name: inputs})[0]
                samples = head._get_predictions(
                    torch.from_numpy(np.ascontiguousarray(logits)),
                    data['data_samples'])
                evaluator.process(data_samples=samples, data_batch=batch)
        return evaluator.evaluate(len(loader.dataset))


def _check_shape(shape, path: str) -> None:
    if len(shape) != 4 or not all(isinstance(d, int) for d in shape[1:]):
        raise ConfigError(f'{path}: expected an image classifier input '
                          f'(N, C, H, W), got {shape}')

