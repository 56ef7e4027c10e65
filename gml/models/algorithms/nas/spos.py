"""SPOS: train a supernet one uniformly sampled path at a time."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn

from gml.registry import MODELS
from gml.config.overrides import ConfigError

from ..base import BaseAlgorithm


@MODELS.register_module()
class SPOS(BaseAlgorithm):
    """Single Path One-Shot NAS (Guo et al., 2020).

    Args:
        model: the supernet (a config, e.g. an ``mmcls.ImageClassifier``
            whose backbone is ``gml.ShuffleNetV2_OneShot``, or a module).
        mutator: finds and drives the supernet's mutables
            (``gml.StatelessMutator``).
        mutable_cfg: a subnet (yaml path or dict). When given, the model is
            fixed to it: an ordinary network to retrain or test.
        require_subnet: subnet (retraining) configs set it so that a missing
            ``--cfg-options algorithm.mutable_cfg=...`` is an error rather
            than a silent supernet training.
        data_preprocessor: defaults to the model config's one.
    """

    def __init__(self,
                 model: Union[Dict, nn.Module],
                 mutator: Union[Dict, object] = dict(
                     type='gml.StatelessMutator'),
                 mutable_cfg: Optional[Union[str, Dict]] = None,
                 require_subnet: bool = False,
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 init_cfg: Optional[Dict] = None):
        super().__init__(model, data_preprocessor, init_cfg)
        self.mutator = (MODELS.build(mutator) if isinstance(mutator, dict)
                        else mutator)
        self.mutator.prepare_from_supernet(self.architecture)
        if mutable_cfg is None and require_subnet:
            raise ConfigError(
                'this config retrains a searched subnet and needs one: pass '
                '--cfg-options algorithm.mutable_cfg=SUBNET.yaml')
        self.is_supernet = mutable_cfg is None
        self.fixed_subnet = (None if self.is_supernet
                             else self.mutator.fix_subnet(mutable_cfg))

    def set_subnet(self, subnet: Dict) -> None:
        self.mutator.set_choices(subnet)

    def loss(self, inputs: torch.Tensor, data_samples: Optional[List] = None
             ) -> Dict[str, torch.Tensor]:
        if self.is_supernet:
            # one uniformly sampled path per iteration
            self.mutator.set_choices(self.mutator.sample_choices())
        return self.architecture(inputs, data_samples, mode='loss')
