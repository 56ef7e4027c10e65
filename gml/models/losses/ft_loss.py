"""Factor transfer loss (Kim et al., "Paraphrasing Complex Network", 2018)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from gml.registry import MODELS


@MODELS.register_module()
class FTLoss(nn.Module):
    """Distance between L2-normalised student and teacher factors.

    Each sample's factor is flattened and divided by its L2 norm, so only
    its direction is transferred, not its scale (the paper's Eq. 3).

    Args:
        p (int): 1 for the L1 distance the paper uses, 2 for L2.
        loss_weight (float): multiplies the loss.
    """

    def __init__(self, p: int = 1, loss_weight: float = 1.0):
        super().__init__()
        if p not in (1, 2):
            raise ValueError(f'FTLoss: p must be 1 or 2, got {p!r}')
        self.p = p
        self.loss_weight = loss_weight

    def forward(self, student: torch.Tensor,
                teacher: torch.Tensor) -> torch.Tensor:
        if student.shape != teacher.shape:
            raise ValueError(
                f'FTLoss: student factor {tuple(student.shape)} and teacher '
                f'factor {tuple(teacher.shape)} differ; set the connectors\' '
                'out_channel equal and distill layers of the same stride')
        s = F.normalize(student.flatten(1), dim=1)
        t = F.normalize(teacher.flatten(1), dim=1)
        diff = (s - t).abs() if self.p == 1 else (s - t).pow(2)
        # mean over the factor, as the reference implementation does
        return self.loss_weight * diff.mean()
