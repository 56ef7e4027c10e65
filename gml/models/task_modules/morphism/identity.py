"""Layers and blocks initialised to compute the identity.

Net2DeeperNet inserts ``conv (identity kernel) -> BN (identity) -> ReLU``
after a ReLU: exact because ``relu(relu(x)) = relu(x)``. R2DeeperR inserts
``x + branch(x)`` whose branch outputs zero through pairs of identical
units read with opposite weights: exact after any layer, and every new
weight is non-zero, so the whole branch learns from the first step.
"""
import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from .errors import MorphismError
from .widen_plan import WidenPlan

_CONVS = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_NORMS = {0: nn.BatchNorm1d, 1: nn.BatchNorm1d, 2: nn.BatchNorm2d,
          3: nn.BatchNorm3d}


@torch.no_grad()
def identity_bn_(bn: _BatchNorm, mean: Optional[torch.Tensor] = None,
                 var: Optional[torch.Tensor] = None) -> _BatchNorm:
    """Make ``bn`` the identity in eval mode.

    With the statistics of its input (``mean``/``var``, e.g. measured on a
    few batches) it is close to the identity in train mode too: batch
    statistics then normalise by what ``weight``/``bias`` undo.
    """
    c = bn.num_features
    mean = torch.zeros(c) if mean is None else mean.detach().float()
    var = torch.ones(c) if var is None else var.detach().float()
    if bn.track_running_stats:
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)
    if bn.affine:
        bn.weight.copy_((var + bn.eps).sqrt())
        bn.bias.copy_(mean)
    elif bn.track_running_stats:
        raise MorphismError('a BatchNorm without affine weights is the '
                            'identity only on standardised inputs')
    return bn


@torch.no_grad()
def calibrate_identity_bn_(model: nn.Module, names: Sequence[str],
                           batches, forward=None) -> None:
    """Set the identity BatchNorms ``names`` of ``model`` to the statistics
    of their inputs on ``batches`` (eval-mode forward), so that they stay
    close to the identity when training starts in train mode.

    Args:
        model: the model holding the norms.
        names: dotted paths of the norms (e.g. those a deepening added).
        batches: iterable of inputs for ``forward``.
        forward: ``forward(model, batch)``; default ``model(batch)``.
    """
    if not names:
        return
    modules = dict(model.named_modules())
    sums = {}

    def hook(name):
        def _hook(mod, args):
            x = args[0].detach().float().transpose(0, 1).flatten(1)
            s = sums.setdefault(name, [0, 0.0, 0.0])
            s[0] += x.shape[1]
            s[1] = s[1] + x.sum(1)
            s[2] = s[2] + (x * x).sum(1)
        return _hook

    handles = [modules[n].register_forward_pre_hook(hook(n)) for n in names]
    was_training = model.training
    model.eval()
    try:
        for batch in batches:
            forward(model, batch) if forward else model(batch)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    for name in names:
        if name not in sums:
            raise MorphismError(f'calibrate_identity_bn_: {name!r} was not '
                                'called on the batches')
        n, s1, s2 = sums[name]
        mean = s1 / n
        var = (s2 / n - mean * mean).clamp_min(0) * n / max(n - 1, 1)
        identity_bn_(modules[name], mean, var)


def identity_layer(width: int, nd: int, kernel_size: int = 3,
                   bias: bool = False, noise: float = 0.0,
                   generator=None) -> nn.Module:
    """A conv (``nd`` spatial dims; 'same' padding) or Linear (``nd == 0``)
    computing the identity; ``noise`` adds ``N(0, noise^2 / fan_in)``."""
    if nd == 0:
        layer = nn.Linear(width, width, bias=bias)
        with torch.no_grad():
            layer.weight.copy_(torch.eye(width))
    else:
        if kernel_size % 2 == 0:
            raise MorphismError(f'kernel_size must be odd for an identity '
                                f'conv, got {kernel_size}')
        layer = _CONVS[nd](width, width, kernel_size,
                           padding=kernel_size // 2, bias=bias)
        nn.init.dirac_(layer.weight)
    with torch.no_grad():
        if layer.bias is not None:
            layer.bias.zero_()
        if noise:
            fan_in = layer.weight[0].numel()
            layer.weight.add_(torch.randn(layer.weight.shape,
                                          generator=generator)
                              * noise / math.sqrt(fan_in))
    return layer


def net2deeper_block(width: int, nd: int, activation: nn.Module,
                     kernel_size: int = 3, bn: bool = True,
                     noise: float = 0.0, generator=None) -> nn.Sequential:
    """``identity conv/linear -> identity BN -> activation`` (Net2DeeperNet;
    exact on the output of the same idempotent activation)."""
    layers = [identity_layer(width, nd, kernel_size, bias=not bn,
                             noise=noise, generator=generator)]
    if bn:
        layers.append(identity_bn_(_NORMS[nd](width)))
    layers.append(activation)
    return nn.Sequential(*layers)


def random_block(width: int, nd: int, activation: nn.Module,
                 kernel_size: int = 3, bn: bool = True) -> nn.Sequential:
    """Net2DeeperNet's block with PyTorch's default random init (the
    baseline: not function-preserving)."""
    if nd == 0:
        layer = nn.Linear(width, width, bias=not bn)
    else:
        layer = _CONVS[nd](width, width, kernel_size,
                           padding=kernel_size // 2, bias=not bn)
    layers = [layer] + ([_NORMS[nd](width)] if bn else []) + [activation]
    return nn.Sequential(*layers)


class ZeroResidual(nn.Module):
    """``x + branch(x)``: the block R2DeeperR inserts (the branch starts at
    zero, so the block starts as the identity and keeps the skip path).

    Args:
        branch: the residual branch; its last layer starts at zero.
    """

    def __init__(self, branch: nn.Module):
        super().__init__()
        self.branch = branch

    def forward(self, x):
        return x + self.branch(x)


@torch.no_grad()
def zero_pair_(first: nn.Module, last: nn.Module, norm=None,
               init_scale: float = 1.0, generator=None) -> None:
    """Make ``last(act(norm(first(x))))`` zero with non-zero weights:
    ``first``'s units in identical pairs, ``last`` reading them with ``V``
    and ``-V`` (R2R). ``first``/``last``: convs or Linears whose hidden
    width is ``first``'s output."""
    hidden = first.weight.shape[0]
    plan = WidenPlan(0, hidden, 'r2r', init_scale=init_scale,
                     generator=generator)
    fan_first = first.weight[0].numel()
    fan_last = last.weight[0].numel()
    w = plan.out_rows(first.weight[:0], 0,
                      fallback_std=math.sqrt(2.0 / fan_first))
    first.weight.copy_(w)
    if first.bias is not None:
        first.bias.zero_()
    last.weight.copy_(plan.in_cols(last.weight[:, :0], 1,
                                   fallback_std=math.sqrt(1.0 / fan_last)))
    if last.bias is not None:
        last.bias.zero_()
    if norm is not None:  # both units of a pair must be normalised alike
        norm.reset_parameters()


def r2deeper_block(width: int, nd: int, kernel_size: int = 3,
                   bn: bool = True, init_scale: float = 1.0,
                   generator=None, zero: bool = True) -> ZeroResidual:
    """``x + [layer -> BN -> ReLU -> layer -> BN](x)`` starting at the
    identity (``zero=False``: PyTorch's random init, the baseline)."""
    def layer():
        if nd == 0:
            return nn.Linear(width, width, bias=not bn)
        if kernel_size % 2 == 0:
            raise MorphismError(f'kernel_size must be odd, got {kernel_size}')
        return _CONVS[nd](width, width, kernel_size,
                          padding=kernel_size // 2, bias=not bn)

    first, last = layer(), layer()
    norm1 = _NORMS[nd](width) if bn else None
    parts = [first] + ([norm1] if bn else []) + [nn.ReLU(), last]
    if bn:
        parts.append(_NORMS[nd](width))
    if zero:
        zero_pair_(first, last, norm1, init_scale, generator)
    return ZeroResidual(nn.Sequential(*parts))
