"""The number of output channels of a layer, as a searchable choice.

A :class:`MutableChannel` owns no weights: the layers that read it slice
their (maximum-sized) weights to ``current_width`` output channels. Several
layers may share one mutable (residual-connected layers must agree on their
width). Its candidate widths split the channels into *groups*: group ``k``
holds channels ``candidates[k-1]:candidates[k]``, which is what DMCP's
Markov process keeps or drops.
"""
from typing import List, Optional, Sequence

import torch
from torch import nn


class MutableChannel(nn.Module):
    """A layer width chosen among ``candidates``.

    Args:
        name (str): the layer name used in exported structures
            (e.g. ``'layer2.1.expand'``).
        candidates (Sequence[int]): the widths the layer may take; the
            largest is the width its weights are allocated with.
    """

    def __init__(self, name: str, candidates: Sequence[int]):
        super().__init__()
        widths = sorted({int(c) for c in candidates})
        if not widths or widths[0] < 1:
            raise ValueError(f'MutableChannel {name!r}: candidate widths '
                             f'must be positive integers, got {candidates}')
        self.name = name
        self.candidates: List[int] = widths
        self.current_width = widths[-1]
        # Per-channel soft mask (DMCP's architecture forward); None = off.
        self.mask: Optional[torch.Tensor] = None

    @property
    def max_width(self) -> int:
        return self.candidates[-1]

    @property
    def min_width(self) -> int:
        return self.candidates[0]

    @property
    def is_searchable(self) -> bool:
        return len(self.candidates) > 1

    def group_sizes(self) -> List[int]:
        """Channels per group; group 0 (the narrowest width) is always kept."""
        bounds = [0] + self.candidates
        return [b - a for a, b in zip(bounds[:-1], bounds[1:])]

    def set_width(self, width: int) -> None:
        """Use ``width`` output channels (any width up to the maximum)."""
        width = int(width)
        if not 1 <= width <= self.max_width:
            raise ValueError(
                f'layer {self.name!r}: width {width} is outside '
                f'[1, {self.max_width}] (its maximum width)')
        self.current_width = width

    def extra_repr(self) -> str:
        return (f'name={self.name!r}, candidates={self.candidates}, '
                f'current_width={self.current_width}')
