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
from typing import Dict, Iterator, List

import torch
from mmengine.model import BaseModule
from torch import nn

from gml.models.mutables.mutable_channel import MutableChannel
from gml.registry import MODELS


@MODELS.register_module()
class DMCPChannelMutator(BaseModule):
    """Owns the Markov transition parameters of every searchable layer.

    Args:
        init_last_prob (float): initial marginal probability of keeping the
            widest group; transitions start equal, so the initial expected
            width is wide but every width can still be sampled.
    """

    def __init__(self, init_last_prob: float = 0.5, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if not 0 < init_last_prob < 1:
            raise ValueError('DMCPChannelMutator: init_last_prob must be in '
                             f'(0, 1), got {init_last_prob}')
        self.init_last_prob = init_last_prob
        self.arch_params = nn.ParameterDict()
        self._mutables: Dict[str, MutableChannel] = {}

    def prepare_from_supernet(self, supernet: nn.Module) -> None:
        """Find the supernet's mutables and create their parameters."""
        for module in supernet.modules():
            if isinstance(module, MutableChannel):
                self._mutables[module.name] = module
        if not self._mutables:
            raise ValueError('DMCPChannelMutator: the model has no '
                             'MutableChannel to prune')
        for name, mutable in self._mutables.items():
            n = len(mutable.candidates) - 1
            if n == 0:
                continue
            # equal transitions p with p**n = init_last_prob
            p = self.init_last_prob**(1.0 / n)
            self.arch_params[self._key(name)] = nn.Parameter(
                torch.full((n, ), math.log(p / (1 - p))))

    @staticmethod
    def _key(name: str) -> str:
        return name.replace('.', '_')

    @property
    def mutables(self) -> Dict[str, MutableChannel]:
        return self._mutables

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

    # structures -------------------------------------------------------------
    def expected_structure(self) -> Dict[str, int]:
        """The expected width per layer, rounded to whole channels."""
        with torch.no_grad():
            return {
                name: min(m.max_width, max(1, int(round(float(w)))))
                for (name, w), m in zip(self.expected_widths().items(),
                                        self._mutables.values())}

    def most_probable_structure(self) -> Dict[str, int]:
        """The most probable width (a candidate) per layer."""
        with torch.no_grad():
            return {name: m.candidates[int(
                self.width_distribution(name).argmax())]
                    for name, m in self._mutables.items()}

    def sample_structure(self) -> Dict[str, int]:
        """Sample one width per layer from the Markov process."""
        with torch.no_grad():
            widths = {}
            for name, m in self._mutables.items():
                dist = self.width_distribution(name).clamp(min=0)
                widths[name] = m.candidates[int(torch.multinomial(dist, 1))]
            return widths

    def max_structure(self) -> Dict[str, int]:
        return {name: m.max_width for name, m in self._mutables.items()}

    def min_structure(self) -> Dict[str, int]:
        return {name: m.min_width for name, m in self._mutables.items()}

    # applying to the supernet -----------------------------------------------
    def set_structure(self, widths: Dict[str, int]) -> None:
        for name, width in widths.items():
            self._mutables[name].set_width(width)

    def set_soft_masks(self) -> None:
        """Full width, each channel scaled by P(its group is kept)."""
        for name, mutable in self._mutables.items():
            mutable.set_width(mutable.max_width)
            keep = self.marginals(name)
            sizes = torch.tensor(mutable.group_sizes(), device=keep.device)
            mutable.mask = torch.repeat_interleave(keep, sizes)

    def clear_masks(self) -> None:
        for mutable in self._mutables.values():
            mutable.mask = None

    def layer_names(self) -> List[str]:
        return list(self._mutables)
