"""Classic logit distillation (Hinton et al., 2015)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from gml.registry import MODELS


@MODELS.register_module()
class KDLoss(nn.Module):
    """KL(teacher || student) between temperature-softened class scores.

    Multiplied by ``tau ** 2`` so its gradients keep the same scale as a
    hard-label loss when the temperature changes (Hinton et al., Sec. 2).

    Args:
        tau (float): softmax temperature.
        loss_weight (float): multiplies the loss.
    """

    def __init__(self, tau: float = 4.0, loss_weight: float = 1.0):
        super().__init__()
        if tau <= 0:
            raise ValueError(f'KDLoss: tau must be > 0, got {tau!r}')
        self.tau = tau
        self.loss_weight = loss_weight

    def forward(self, student: torch.Tensor,
                teacher: torch.Tensor) -> torch.Tensor:
        if student.shape != teacher.shape:
            raise ValueError(
                f'KDLoss: student logits {tuple(student.shape)} and teacher '
                f'logits {tuple(teacher.shape)} differ')
        log_p_s = F.log_softmax(student.flatten(1) / self.tau, dim=1)
        p_t = F.softmax(teacher.flatten(1) / self.tau, dim=1)
        loss = F.kl_div(log_p_s, p_t, reduction='batchmean')
        return self.loss_weight * self.tau**2 * loss
