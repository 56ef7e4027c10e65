"""DMCP's channel mutator: a Markov process over each layer's channel groups.

Each searchable layer's channels are split into groups (see
``MutableChannel.group_sizes``). Group 0 is always kept; group ``k`` is kept
with probability ``sigmoid(alpha_k)`` *given that group k-1 is kept*, so the
marginal probability of keeping group ``k`` is ``prod_{j<=k} sigmoid(alpha_j)``
(Guo et al., "DMCP: Differentiable Markov Channel Pruning", CVPR 2020). The
``alpha`` are the architecture parameters: the expected width of a layer is
a differentiable function of them, and so are the expected FLOPs.
"""
import math
import random
from typing import Dict, Iterator, Optional

import torch
from torch import nn

from gml.models.mutables.mutable_channel import MutableChannel
from gml.registry import MODELS
from gml.utils.errors import ConfigError

from .base_mutator import BaseMutator


@MODELS.register_module()
class DMCPChannelMutator(BaseMutator):
    """Owns the Markov transition parameters of every searchable layer.

    Subnets name layers by their ``MutableChannel`` alias (``layer2.1.
    expand``); ``sample_choices`` follows the Markov process, and the
    default path is the unpruned network.

    Args:
        init_last_prob (float): initial marginal probability of keeping the
            widest group; transitions start equal, so the initial expected
            width is wide but every width can still be sampled.
    """

    mutable_types = (MutableChannel, )

    def __init__(self, init_last_prob: float = 0.5, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if not 0 < init_last_prob < 1:
            raise ConfigError('DMCPChannelMutator: init_last_prob must be '
                              f'in (0, 1), got {init_last_prob}')
        self.init_last_prob = init_last_prob
        self.arch_params = nn.ParameterDict()

    def name_of(self, path: str, mutable: MutableChannel) -> str:
        return mutable.alias

    def prepare_from_supernet(self, supernet: nn.Module) -> None:
        """Find the supernet's mutables and create their parameters."""
        super().prepare_from_supernet(supernet)
        for name, mutable in self._mutables.items():
            n = len(mutable.choices) - 1
            if n == 0:
                continue
            # equal transitions p with p**n = init_last_prob
            p = self.init_last_prob**(1.0 / n)
            self.arch_params[self._key(name)] = nn.Parameter(
                torch.full((n, ), math.log(p / (1 - p))))

    @staticmethod
    def _key(name: str) -> str:
        return name.replace('.', '_')

    def arch_parameters(self) -> Iterator[nn.Parameter]:
        return iter(self.arch_params.values())

    # probabilities ----------------------------------------------------------
    def marginals(self, name: str) -> torch.Tensor:
        """P(group k is kept) for every group of layer ``name``."""
        key = self._key(name)
        if key not in self.arch_params:
            return torch.ones(1)
        alpha = self.arch_params[key]
        return torch.cat([alpha.new_ones(1),
                          torch.cumprod(torch.sigmoid(alpha), 0)])

    def width_distribution(self, name: str) -> torch.Tensor:
        """P(width = candidates[k]): keep group k and drop group k+1."""
        keep = self.marginals(name)
        stop = torch.cat([keep[1:], keep.new_zeros(1)])
        return keep - stop

    def expected_widths(self) -> Dict[str, torch.Tensor]:
        """E[width] per layer, differentiable in the arch parameters."""
        widths = {}
        for name, mutable in self._mutables.items():
            sizes = torch.tensor(mutable.group_sizes(), dtype=torch.float32)
            keep = self.marginals(name)
            widths[name] = (keep * sizes.to(keep.device)).sum()
        return widths

    # subnets ----------------------------------------------------------------
    def expected_choices(self) -> Dict[str, int]:
        """The expected width per layer, rounded to a multiple of the
        layer's ``divisor`` (whole channels by default)."""
        with torch.no_grad():
            return {name: m.round_width(float(w))
                    for (name, w), m in zip(self.expected_widths().items(),
                                            self._mutables.values())}

    def most_probable_choices(self) -> Dict[str, int]:
        """The most probable width (a choice) per layer."""
        with torch.no_grad():
            return {name: m.choices[int(
                self.width_distribution(name).argmax())]
                    for name, m in self._mutables.items()}

    def sample_choices(self, rng: Optional[random.Random] = None
                       ) -> Dict[str, int]:
        """One width per layer sampled from the Markov process (``rng``
        for reproducible sampling; torch's generator otherwise)."""
        with torch.no_grad():
            widths = {}
            for name, m in self._mutables.items():
                dist = self.width_distribution(name).clamp(min=0)
                if rng is None:
                    k = int(torch.multinomial(dist, 1))
                else:
                    k = rng.choices(range(len(dist)), dist.tolist())[0]
                widths[name] = m.choices[k]
            return widths

    # applying to the supernet -----------------------------------------------
    def set_soft_masks(self) -> None:
        """Full width, each channel scaled by P(its group is kept)."""
        for name, mutable in self._mutables.items():
            mutable.current_choice = mutable.max_choice
            keep = self.marginals(name)
            sizes = torch.tensor(mutable.group_sizes(), device=keep.device)
            mutable.mask = torch.repeat_interleave(keep, sizes)

    def clear_masks(self) -> None:
        for mutable in self._mutables.values():
            mutable.mask = None
