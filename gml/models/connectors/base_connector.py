"""What every connector shares: an optional pre-training criterion."""
from typing import Optional

import torch
import torch.nn as nn

from gml.registry import MODELS


class BaseConnector(nn.Module):
    """Maps a recorded feature into the space a distillation loss compares.

    Args:
        pretrain_criterion (dict, optional): a loss config. When set, the
            connector is trained alone first (the connector pre-training
            stage) by :meth:`pretrain_loss`; connectors that cannot be
            pre-trained reject it.
    """
    #: whether the connector has a self-supervised pre-training objective.
    can_pretrain = False

    def __init__(self, pretrain_criterion: Optional[dict] = None):
        super().__init__()
        if pretrain_criterion is not None and not self.can_pretrain:
            raise ValueError(
                f'{type(self).__name__} has no pre-training objective, so '
                '`pretrain_criterion` cannot be set on it (only a '
                'teacher-side Paraphraser is pre-trained)')
        self.pretrain_criterion = (
            MODELS.build(pretrain_criterion)
            if pretrain_criterion is not None else None)

    @property
    def needs_pretrain(self) -> bool:
        return self.pretrain_criterion is not None

    def pretrain_loss(self, feature: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(
            f'{type(self).__name__} cannot be pre-trained')
