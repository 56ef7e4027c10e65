"""Feature mimicking by mean squared error."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from gml.registry import MODELS


@MODELS.register_module()
class MSELoss(nn.Module):
    """Mean squared error between two tensors of the same shape.

    Used to mimic teacher features and, as a connector's
    ``pretrain_criterion``, to score a Paraphraser's reconstruction.

    Args:
        loss_weight (float): multiplies the loss.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        if pred.shape != target.shape:
            raise ValueError(f'MSELoss: shapes {tuple(pred.shape)} and '
                             f'{tuple(target.shape)} differ')
        return self.loss_weight * F.mse_loss(pred, target)
