"""Reading checkpoints for quantization, refusing the wrong kind.

A float checkpoint holds a model's weights; a QAT checkpoint also holds
observer / fake-quant state (``activation_post_process_*``). Each reader
states which kind it expects and says which tool fits the other.
"""
import os.path as osp
import re
from typing import Dict, List, Optional

import torch
import torch.nn as nn

from gml.utils.cfg_options import ConfigError


def is_quantized_state(keys) -> bool:
    """Whether a state dict holds observer / fake-quant state (a QAT or
    calibrated checkpoint) rather than a float model's weights."""
    return any('activation_post_process_' in k for k in keys)


#: what each kind of checkpoint is, and what to do with the other kind
WRONG_KIND = {
    'float': 'is a QAT checkpoint (it holds fake-quant state), not a float '
             'model; continue its training with --resume, or export it with '
             'tools/quantization/export.py',
    'qat': 'is a float checkpoint (no fake-quant state), not a QAT one: '
           'export it as float with --float, quantize it with '
           'tools/quantization/ptq.py, or fine-tune it with QAT first '
           '(algorithm.float_checkpoint)',
}


def read_state_dict(path: str, key: str, kind: Optional[str] = None
                    ) -> Dict[str, torch.Tensor]:
    """The weights in checkpoint ``path`` (a file or an http(s) URL),
    without a DDP ``module.`` prefix; errors name ``key``. ``kind``
    (``'float'`` or ``'qat'``): refuse a checkpoint of the other kind."""
    from mmengine.runner.checkpoint import _load_checkpoint
    remote = path.startswith(('http://', 'https://'))  # mmengine fetches
    if not remote and not osp.isfile(path):
        raise ConfigError(f'{key}: checkpoint {path!r} does not exist')
    try:
        checkpoint = _load_checkpoint(path, map_location='cpu')
    except Exception as e:  # corrupt, truncated, unsafe pickle...
        reason = next((line.strip() for line in str(e).splitlines()
                       if line.strip()), '')
        raise ConfigError(f'{key}: checkpoint {path!r} cannot be read '
                          f'({type(e).__name__}: {reason})') from None
    state = checkpoint.get('state_dict', checkpoint) \
        if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise ConfigError(f'{key}: {path!r} holds no state dict')
    state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
    if kind is not None and is_quantized_state(state) != (kind == 'qat'):
        raise ConfigError(f'{key}: {path!r} {WRONG_KIND[kind]}')
    return state


def load_checked(model: nn.Module, state: Dict, path: str, key: str) -> None:
    """Load ``state`` into ``model``, refusing one that does not fit it
    completely."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    reshaped = [k for k in expected if k in state and
                tuple(state[k].shape) != tuple(expected[k].shape)]
    if missing or unexpected or reshaped:
        parts = [f'{len(missing)} missing' + _eg(missing),
                 f'{len(unexpected)} unexpected' + _eg(unexpected)]
        if reshaped:
            k = reshaped[0]
            parts.append(f'{len(reshaped)} of another shape (e.g. {k}: '
                         f'{tuple(state[k].shape)} vs '
                         f'{tuple(expected[k].shape)})')
        raise ConfigError(f'{key}: {path!r} does not fit the model: '
                          + ', '.join(parts) + '; is it a checkpoint of '
                          'this config\'s model?')
    model.load_state_dict(state)


def load_float_checkpoint(model: nn.Module, path: str, key: str) -> None:
    """Load a float model's checkpoint into ``model``, refusing QAT
    checkpoints and checkpoints of another model."""
    load_checked(model, read_state_dict(path, key, 'float'), path, key)


def _eg(keys: List[str]) -> str:
    return f' (e.g. {keys[0]})' if keys else ''
