"""MEAL's adversarial part (Shen et al., "MEAL: Multi-Model Ensemble via
Adversarial Learning", AAAI 2019), for one teacher.

A discriminator learns to tell the teacher's representation from the
student's, while the student learns to fool it. Both happen in one backward
pass: the student's representation reaches the discriminator through a
gradient-reversal layer, so minimising the discriminator's loss trains the
discriminator and pushes the student the other way, with the Runner's single
optimizer. MEAL's other part, soft labels from the teacher, is the
``KDLoss`` head on the logits.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class _ReverseGrad(torch.autograd.Function):

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class MEALDiscriminator(nn.Module):
    """A small MLP scoring "teacher-like" representations.

    Feature maps are global-average-pooled to vectors first, so it works on
    logits and on neck features alike.

    Args:
        in_features (int): channels of the compared representation.
        hidden (int): width of the hidden layer.
    """

    def __init__(self, in_features: int, hidden: int = 64):
        super().__init__()
        self.in_features = in_features
        self.mlp = nn.Sequential(
            nn.Linear(in_features, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1))

    def _score(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() > 2:
            x = x.flatten(2).mean(-1)
        if x.shape[1] != self.in_features:
            raise ValueError(
                f'MEAL discriminator expects {self.in_features} channels, '
                f'got {tuple(x.shape)}')
        return self.mlp(x).squeeze(1)

    def forward(self, student: torch.Tensor,
                teacher: torch.Tensor) -> torch.Tensor:
        """Binary cross-entropy of telling teacher (1) from student (0)."""
        s = self._score(_ReverseGrad.apply(student))
        t = self._score(teacher.detach())
        return (F.binary_cross_entropy_with_logits(s, torch.zeros_like(s)) +
                F.binary_cross_entropy_with_logits(t, torch.ones_like(t)))
