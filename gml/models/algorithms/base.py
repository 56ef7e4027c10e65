"""The base of every gml algorithm: an architecture and its preprocessor.

Modelled on MMRazor 1.x ``models/algorithms/base.py``. An algorithm wraps
the model a user configured (``algorithm = dict(type='gml.X', model=...)``)
as ``self.architecture`` and adds what the algorithm needs (a mutator, a
distiller, a quantizer...). The Runner sees one ``BaseModel``.
"""
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel

from gml.registry import MODELS


class BaseAlgorithm(BaseModel):
    """Build the architecture once and share its data preprocessor.

    The preprocessor is the first of: the ``data_preprocessor`` argument
    (mmengine's Runner passes the config's top-level one here), the model
    config's own ``data_preprocessor``, the built model's. The architecture
    and the algorithm use the same instance, so code that calls either
    (BN recalibration, a search loop, a distiller) normalizes alike.

    Args:
        model: the architecture, as a config dict or a built module.
        data_preprocessor: a config dict or module (see above).
        init_cfg: mmengine init config of the whole algorithm.
    """

    def __init__(self,
                 model: Union[Dict, nn.Module],
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 init_cfg: Optional[Dict] = None):
        if isinstance(model, dict):
            model = dict(model)
            model_preprocessor = model.pop('data_preprocessor', None)
            if data_preprocessor is None:
                data_preprocessor = model_preprocessor
            model = MODELS.build(model)
        if not isinstance(model, nn.Module):
            raise TypeError(f'{type(self).__name__}: `model` must be a '
                            f'config dict or an nn.Module, got '
                            f'{type(model).__name__}')
        if data_preprocessor is None:
            data_preprocessor = getattr(model, 'data_preprocessor', None)
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if isinstance(model, BaseModel):
            model.data_preprocessor = self.data_preprocessor
        self.architecture = model

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        """mmengine's three modes; subclasses change ``loss`` (or more)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode in ('tensor', 'predict'):
            return self.architecture(inputs, data_samples, mode=mode)
        raise ValueError(f'{type(self).__name__}: invalid mode {mode!r}; '
                         "expected 'loss', 'tensor' or 'predict'")

    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[List] = None) -> Dict[str, torch.Tensor]:
        return self.architecture(inputs, data_samples, mode='loss')
