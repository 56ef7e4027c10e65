"""The number of output channels of a layer, as a searchable choice.

A :class:`MutableChannel` owns no weights: the layers that read it slice
their (maximum-sized) weights to ``current_choice`` output channels. Several
layers may share one mutable (residual-connected layers must agree on their
width). Its choices split the channels into *groups*: group ``k`` holds
channels ``choices[k-1]:choices[k]``, which is what DMCP's Markov process
keeps or drops.
"""
from typing import List, Optional, Sequence

import torch
from torch import nn

from .base_mutable import BaseMutable


class MutableChannel(BaseMutable, nn.Module):
    """A layer width; the choices are the searched widths, but any width up
    to the largest may be set (DMCP exports expected, not sampled, widths).

    Args:
        alias (str): the layer name used in exported structures
            (e.g. ``'layer2.1.expand'``).
        candidates (Sequence[int]): the widths searched; the largest is the
            width the layer's weights are allocated with.
        divisor (int): widths derived from continuous values (DMCP's
            expected widths) are rounded to a multiple of it
            (:meth:`round_width`); 8 keeps onnxruntime's CPU convolutions
            on their fast path (see docs/pruning.md). 1: whole channels.
    """

    def __init__(self, alias: str, candidates: Sequence[int],
                 divisor: int = 1):
        nn.Module.__init__(self)
        if isinstance(divisor, bool) or not isinstance(divisor, int) or \
                divisor < 1:
            raise ValueError(f'MutableChannel {alias!r}: divisor must be an '
                             f'integer >= 1, got {divisor!r}')
        self.divisor = divisor
        widths = sorted({int(c) for c in candidates})
        if not widths or widths[0] < 1:
            raise ValueError(f'MutableChannel {alias!r}: candidate widths '
                             f'must be positive integers, got {candidates}')
        self._widths: List[int] = widths
        self._init_mutable(widths[-1], alias)
        # Per-channel soft mask (DMCP's architecture forward); None = off.
        self.mask: Optional[torch.Tensor] = None

    @property
    def choices(self) -> List[int]:
        return list(self._widths)

    @property
    def max_choice(self) -> int:
        return self._widths[-1]

    @property
    def min_choice(self) -> int:
        return self._widths[0]

    @property
    def default_choice(self) -> int:
        return self.max_choice  # the unpruned layer

    def check_choice(self, choice) -> None:
        if isinstance(choice, bool) or not isinstance(choice, int) or \
                not 1 <= choice <= self.max_choice:
            raise ValueError(
                f'layer {self.name!r}: width {choice!r} is outside '
                f'[1, {self.max_choice}] (its maximum width)')

    def round_width(self, width: float) -> int:
        """``width`` rounded to the nearest multiple of ``divisor`` (ties to
        the even multiple, as ``round``), within ``[divisor, max_choice]``
        (``[1, max_choice]`` for divisor 1)."""
        d = self.divisor
        return min(self.max_choice, max(d, int(round(width / d)) * d))

    def _on_fix(self, choice: int) -> None:
        self._widths = [choice]

    def group_sizes(self) -> List[int]:
        """Channels per group; group 0 (the narrowest width) is always kept."""
        bounds = [0] + self._widths
        return [b - a for a, b in zip(bounds[:-1], bounds[1:])]

    def extra_repr(self) -> str:
        return (f'alias={self.alias!r}, choices={self._widths}, '
                f'current={self._current_choice}')
