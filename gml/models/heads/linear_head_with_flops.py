"""A linear classification head that also owns DMCP's two extra losses.

Besides the usual cross-entropy it computes the FLOPs loss (expected FLOPs
of the supernet against a target) and the in-place distillation loss of a
sub-network against the full-width network, so a config keeps everything
about "what the pruned classifier is trained for" in one place.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.heads import LinearClsHead

from gml.registry import MODELS

FLOSS_TYPES = ('log_l1', 'l1')


@MODELS.register_module()
class LinearClsHead_WithFLOPs(LinearClsHead):  # noqa: N801 (documented name)
    """``LinearClsHead`` + FLOPs loss + distillation loss.

    The linear layer reads only as many input features as it receives, so
    it serves every width of the backbone's last layer.

    Args:
        floss_cfg (dict): ``input_size`` (C, H, W) at which FLOPs are
            counted; ``target_flops`` in MFLOPs; ``floss_type``:
            ``'log_l1'`` = ``|log E[F] - log T|`` or ``'l1'`` =
            ``|E[F] - T| / T`` (both scale-free, so one
            ``flop_loss_weight`` suits any model size).
        distill_cfg (dict): ``temperature``, ``distill_weight`` and
            ``distill_softlable``: True learns the full network's softened
            probabilities (KL divergence scaled by T^2), False its hard
            predictions (cross-entropy on its argmax).
        **kwargs: ``LinearClsHead`` arguments (``num_classes``,
            ``in_channels``, ``loss``, ``topk``, ``cal_acc``...).
    """

    def __init__(self,
                 floss_cfg: Optional[dict] = None,
                 distill_cfg: Optional[dict] = None,
                 **kwargs):
        super().__init__(**kwargs)
        floss_cfg = dict(floss_cfg or {})
        self.input_size = tuple(floss_cfg.pop('input_size', (3, 224, 224)))
        self.target_flops = float(floss_cfg.pop('target_flops', 0)) or None
        self.floss_type = floss_cfg.pop('floss_type', 'log_l1')
        self.flop_loss_weight = float(floss_cfg.pop('flop_loss_weight', 0.1))
        if floss_cfg:
            raise ValueError(f'LinearClsHead_WithFLOPs: unknown floss_cfg '
                             f'keys {sorted(floss_cfg)}')
        if self.floss_type not in FLOSS_TYPES:
            raise ValueError(f'LinearClsHead_WithFLOPs: floss_cfg.floss_type='
                             f'{self.floss_type!r}, expected one of '
                             f'{FLOSS_TYPES}')
        if len(self.input_size) != 3:
            raise ValueError('LinearClsHead_WithFLOPs: floss_cfg.input_size '
                             f'must be (C, H, W), got {self.input_size}')
        distill_cfg = dict(distill_cfg or {})
        self.temperature = float(distill_cfg.pop('temperature', 1.0))
        self.distill_weight = float(distill_cfg.pop('distill_weight', 1.0))
        self.distill_softlabel = bool(
            distill_cfg.pop('distill_softlable',
                            distill_cfg.pop('distill_softlabel', False)))
        if distill_cfg:
            raise ValueError(f'LinearClsHead_WithFLOPs: unknown distill_cfg '
                             f'keys {sorted(distill_cfg)}')

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        x = self.pre_logits(feats)
        fc = self.fc
        return F.linear(x, fc.weight[:, :x.size(1)], fc.bias)

    def flops_terms(self, in_name: str) -> List[Tuple[int, Tuple[str, ...]]]:
        """The linear layer's FLOPs (MACs) as a term of its input width."""
        return [(self.num_classes, (in_name, ))]

    def loss_flops(self, expected_flops: torch.Tensor) -> torch.Tensor:
        """FLOPs loss of ``expected_flops`` (in FLOPs) to the target."""
        if self.target_flops is None:
            raise ValueError('LinearClsHead_WithFLOPs: floss_cfg.target_flops '
                             'must be set (MFLOPs) to compute the FLOPs loss')
        mflops = expected_flops / 1e6
        if self.floss_type == 'log_l1':
            loss = (torch.log(mflops) - torch.log(
                mflops.new_tensor(self.target_flops))).abs()
        else:
            loss = (mflops - self.target_flops).abs() / self.target_flops
        return self.flop_loss_weight * loss

    def loss_distill(self, student: torch.Tensor,
                     teacher: torch.Tensor) -> torch.Tensor:
        """In-place distillation of sub-network logits from the full net's."""
        teacher = teacher.detach()
        if self.distill_softlabel:
            t = self.temperature
            loss = F.kl_div(F.log_softmax(student / t, dim=1),
                            F.softmax(teacher / t, dim=1),
                            reduction='batchmean') * t * t
        else:
            loss = F.cross_entropy(student, teacher.argmax(dim=1))
        return self.distill_weight * loss
