"""Reading checkpoints for quantization, refusing the wrong kind.

A float checkpoint holds a model's weights; a QAT checkpoint also holds
observer / fake-quant state (``activation_post_process_*``). Each reader
states which kind it expects and says which tool fits the other. Reading
and fitting are ``gml.utils.checkpoint``'s.
"""
from typing import Dict, Optional

import torch
import torch.nn as nn

from gml.utils.checkpoint import (check_state_dict_fits, load_checkpoint_file,
                                  state_dict_of)
from gml.utils.errors import CheckpointError


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
    """The weights in checkpoint ``path``; errors name ``key``. ``kind``
    (``'float'`` or ``'qat'``): refuse a checkpoint of the other kind."""
    state = state_dict_of(load_checkpoint_file(path, key=key))
    if not state:
        raise CheckpointError(f'{key}: {path!r} holds no state dict')
    if kind is not None and is_quantized_state(state) != (kind == 'qat'):
        raise CheckpointError(f'{key}: {path!r} {WRONG_KIND[kind]}')
    return state


def load_checked(model: nn.Module, state: Dict, path: str) -> None:
    """Load ``state`` into ``model``, refusing one that does not supply
    every tensor of it."""
    check_state_dict_fits(model, state, path, require='all')
    model.load_state_dict(state, strict=False)


def load_float_checkpoint(model: nn.Module, path: str, key: str) -> None:
    """Load a float model's checkpoint into ``model``, refusing QAT
    checkpoints and checkpoints of another model."""
    load_checked(model, read_state_dict(path, key, 'float'), path)
