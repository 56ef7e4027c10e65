"""The float classifier, quantizer and input shape a config describes.

The deployment tools take either a QAT config (``model = gml.QAT``: its
``model`` is the float classifier) or a plain classifier config, and build
only the float model from it (no capture, no fake quantization).
"""
import copy
from typing import Optional, Tuple

import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope

from gml.registry import MODELS
from gml.utils.errors import ConfigError

QAT_TYPES = ('gml.QAT', 'QAT')


def is_qat_config(cfg: Config) -> bool:
    return cfg.model.get('type') in QAT_TYPES


def float_model_cfg(cfg: Config) -> dict:
    """The float classifier's config, with the preprocessor it has when the
    Runner builds ``cfg``: a QAT algorithm's own, else the config's
    top-level ``data_preprocessor`` (the Runner passes it to the outermost
    model), else the classifier's own."""
    model = copy.deepcopy(cfg.model)
    top = cfg.get('data_preprocessor')
    if is_qat_config(cfg):
        outer = model.get('data_preprocessor') or top
        model = dict(model['model'])
        if outer is not None:
            model['data_preprocessor'] = copy.deepcopy(outer)
    elif top is not None:
        model.setdefault('data_preprocessor', copy.deepcopy(top))
    return model


def config_scope(cfg: Config):
    """The context that builds ``cfg``'s models: its ``default_scope``
    (gml's where it names none), whatever scope is current."""
    return DefaultScope.overwrite_default_scope(
        cfg.get('default_scope') or 'gml')


def build_float_model(cfg: Config) -> nn.Module:
    model = MODELS.build(float_model_cfg(cfg))
    model.eval()
    return model


def input_shape(cfg: Config, override: Optional[Tuple[int, ...]] = None,
                key: str = '--input-shape') -> Tuple[int, int, int]:
    """(C, H, W): ``override``, else the QAT config's ``input_shape``."""
    shape = override
    if shape is None and is_qat_config(cfg):
        shape = cfg.model.get('input_shape', (3, 224, 224))
    if shape is None:
        raise ConfigError(f'{key} C H W is needed: the config is not a QAT '
                          'config (model type gml.QAT) that states it')
    shape = tuple(int(d) for d in shape)
    if len(shape) != 3:
        raise ConfigError(f'{key}: expected C H W, got {shape}')
    return shape


def build_quantizer(cfg: Config):
    """The QAT config's quantizer, or gml's default int8 recipe."""
    spec = cfg.model.get('quantizer') if is_qat_config(cfg) else None
    return MODELS.build(dict(spec or dict(type='gml.Int8Quantizer')))


def preprocessing_metadata(model: nn.Module) -> dict:
    """What a runtime must do to an image before the exported model."""
    pre = getattr(model, 'data_preprocessor', None)
    meta = {}
    for key in ('mean', 'std'):
        value = getattr(pre, key, None)
        if value is not None:
            meta[key] = [float(v) for v in value.flatten()]
    if hasattr(pre, 'to_rgb'):
        meta['to_rgb'] = bool(pre.to_rgb)
    return meta
