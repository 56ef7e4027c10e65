"""The tensor algebra of widening a layer: how its new units are made and
how every tensor that reads or normalises them follows.

Shared by the module transforms (``net2wider``/``r2wider``) and by the
genotype mutations, which apply the same plan to the layers a genotype
block declares.

- ``net2net`` (Chen et al., 2016, Net2WiderNet): each new unit copies a
  random existing unit; every consumer divides the weights it reads from a
  unit and its copies among them, so the sum it computes is unchanged.
- ``r2r`` (R2WiderR): new units come in pairs with identical incoming
  weights (so identical activations); consumers read them with weights
  ``V`` and ``-V``, which cancel. The new weights are random, only
  the pairing makes the function exact.
- ``random``: new units and the weights reading them are random: the
  baseline a function-preserving widening is compared with.
"""
import math
from typing import Optional

import torch

from .errors import MorphismError

METHODS = ('net2net', 'r2r', 'random')


def _std(t: torch.Tensor, fallback: float) -> float:
    """Scale for new random weights: that of the existing ones."""
    if t.numel() > 1:
        std = float(t.detach().float().std())
        if std > 0 and math.isfinite(std):
            return std
    return fallback


class WidenPlan:
    """How ``old`` units of one layer become ``new`` units.

    Args:
        old: current number of units (output channels / features).
        new: number after widening (``> old``).
        method: ``'net2net'``, ``'r2r'`` or ``'random'``.
        split: net2net only: ``'equal'`` divides a unit's outgoing weights
            equally among its copies (the copies then receive identical
            gradients and never differ); ``'random'`` divides them in
            random positive shares that still sum to one -- exact as
            well, and the copies' gradients differ, so they diverge.
        noise: net2net only: adds Gaussian noise of ``noise x std(W)`` to
            the copied units' incoming weights. This breaks symmetry but
            not exactly: the outputs then move by about ``noise`` relative
            to their scale (tests keep it within ``10 x noise``); ``0``
            keeps the function exact up to float rounding.
        init_scale: r2r/random: std of the new random weights relative to
            the std of the layer's existing weights.
        generator: torch RNG for every random choice (reproducible plans).
    """

    def __init__(self,
                 old: int,
                 new: int,
                 method: str = 'net2net',
                 split: str = 'equal',
                 noise: float = 0.0,
                 init_scale: float = 1.0,
                 generator: Optional[torch.Generator] = None):
        if method not in METHODS:
            raise MorphismError(f'unknown widening method {method!r}; '
                                f'expected one of {METHODS}')
        if split not in ('equal', 'random'):
            raise MorphismError(f"split must be 'equal' or 'random', got "
                                f'{split!r}')
        if noise < 0 or init_scale < 0:
            raise MorphismError(f'noise and init_scale must be >= 0, got '
                                f'{noise}, {init_scale}')
        if not (0 <= old < new):
            raise MorphismError(f'cannot widen {old} units to {new}: the new '
                                'width must be larger')
        if method == 'net2net' and old == 0:
            raise MorphismError('net2net copies existing units: there are '
                                'none')
        self.old, self.new, self.method = old, new, method
        self.noise, self.init_scale = noise, init_scale
        self.generator = generator
        extra = new - old
        if method == 'net2net':
            src = torch.randint(old, (extra, ), generator=generator)
            self.mapping = torch.cat([torch.arange(old), src])
            counts = torch.bincount(self.mapping, minlength=old).float()
            if split == 'equal':
                self.share = 1.0 / counts[self.mapping]
            else:
                w = torch.rand(new, generator=generator) + 0.5
                group = torch.zeros(old).index_add_(0, self.mapping, w)
                self.share = w / group[self.mapping]
        else:
            self.mapping = None
            self.pairs = extra // 2 if method == 'r2r' else 0
            # r2r with an odd number of new units: the last one is read
            # with zero weights (still exact)
            self.lonely = extra - 2 * self.pairs

    @property
    def extra(self) -> int:
        return self.new - self.old

    def _randn(self, shape, std: float) -> torch.Tensor:
        return torch.randn(shape, generator=self.generator) * std

    # -- producers: the widened layer's own weights (rows = its units) --
    def out_rows(self, t: torch.Tensor, dim: int = 0,
                 fallback_std: Optional[float] = None,
                 zero_new: bool = False) -> torch.Tensor:
        """``t`` with ``old`` entries along ``dim`` -> ``new`` entries: the
        incoming weights (or bias) of every unit. ``zero_new`` makes new
        r2r/random entries zero (biases)."""
        t = t.detach()
        moved = t.movedim(dim, 0)
        if moved.shape[0] != self.old:
            raise MorphismError(f'expected {self.old} units along dim {dim}, '
                                f'got a tensor of shape {tuple(t.shape)}')
        tail = moved.shape[1:]
        if self.method == 'net2net':
            out = moved[self.mapping].clone()
            if self.noise and not zero_new:
                std = _std(moved, fallback_std or 0.0) * self.noise
                out[self.old:] += self._randn((self.extra, ) + tail,
                                              std).to(out)
        else:
            std = _std(moved, fallback_std or _he_std(tail)) * self.init_scale
            if zero_new:
                new = torch.zeros((self.extra, ) + tail, dtype=t.dtype)
            elif self.method == 'r2r':
                half = self._randn((self.pairs, ) + tail, std).to(t)
                new = torch.cat([half, half,
                                 self._randn((self.lonely, ) + tail,
                                             std).to(t)])
            else:
                new = self._randn((self.extra, ) + tail, std).to(t)
            out = torch.cat([moved, new.to(t.device)])
        return out.movedim(0, dim).contiguous()

    def channelwise(self, t: torch.Tensor, fill: float) -> torch.Tensor:
        """A per-unit vector that follows the units (BatchNorm's weight,
        bias and running statistics): copied for net2net, ``fill`` for the
        new units otherwise (the same for both units of an r2r pair)."""
        t = t.detach()
        if t.shape[0] != self.old:
            raise MorphismError(f'expected {self.old} per-unit values, got '
                                f'{t.shape[0]}')
        if self.method == 'net2net':
            return t[self.mapping].clone()
        return torch.cat([t, torch.full((self.extra, ), fill,
                                        dtype=t.dtype, device=t.device)])

    # -- consumers: layers that read the widened units --
    def in_cols(self, t: torch.Tensor, dim: int = 1, offset: int = 0,
                factor: int = 1,
                fallback_std: Optional[float] = None) -> torch.Tensor:
        """A consumer's weight ``t`` whose input positions
        ``[offset, offset + old * factor)`` along ``dim`` read the widened
        units (``factor`` positions per unit, e.g. the spatial positions a
        flattened channel occupies), the other positions untouched."""
        t = t.detach()
        moved = t.movedim(dim, 0)
        end = offset + self.old * factor
        if end > moved.shape[0]:
            raise MorphismError(
                f'consumer reads {moved.shape[0]} inputs along dim {dim}, '
                f'fewer than offset {offset} + {self.old} units x {factor}')
        seg = moved[offset:end]
        seg = seg.reshape((self.old, factor) + seg.shape[1:])
        tail = seg.shape[1:]
        if self.method == 'net2net':
            share = self.share.to(seg).view((-1, ) + (1, ) * len(tail))
            new_seg = seg[self.mapping] * share
        else:
            std = _std(seg, fallback_std or _he_std(tail)) * self.init_scale
            if self.method == 'r2r':
                half = self._randn((self.pairs, ) + tail, std).to(seg)
                extra = torch.cat([half, -half,
                                   torch.zeros((self.lonely, ) + tail,
                                               dtype=seg.dtype,
                                               device=seg.device)])
            else:
                extra = self._randn((self.extra, ) + tail, std).to(seg)
            new_seg = torch.cat([seg, extra])
        new_seg = new_seg.reshape((self.new * factor, ) + seg.shape[2:])
        out = torch.cat([moved[:offset], new_seg, moved[end:]])
        return out.movedim(0, dim).contiguous()


def _he_std(tail) -> float:
    """He-normal std for a weight whose fan-in is the product of ``tail``
    (used when there are no existing weights to match)."""
    fan_in = max(1, math.prod(tail))
    return math.sqrt(2.0 / fan_in)
