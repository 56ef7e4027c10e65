"""A layer that is one of several named candidate ops: the unit of SPOS."""
from typing import Dict, List, Optional

import torch.nn as nn

from gml.registry import MUTABLES

from .base_mutable import BaseMutable


@MUTABLES.register_module()
class OneShotMutableOP(BaseMutable, nn.Module):
    """Hold named candidate ops and run the one currently chosen.

    In a supernet every candidate keeps its weights and one of them runs per
    forward (``current_choice``). ``fix_chosen`` turns the layer into its
    chosen op for good: the other candidates' parameters are dropped, so the
    model is an ordinary network of the subnet's size.

    Args:
        candidates: ``{name: nn.Module}`` (or module configs to build).
        alias: an optional readable name of the layer, kept for logs.
    """

    def __init__(self, candidates: Dict[str, nn.Module],
                 alias: Optional[str] = None):
        nn.Module.__init__(self)
        if not candidates:
            raise ValueError('OneShotMutableOP needs at least one candidate')
        from gml.registry import MODELS
        # the attribute name is part of every supernet checkpoint's keys
        self._candidates = nn.ModuleDict({
            name: op if isinstance(op, nn.Module) else MODELS.build(op)
            for name, op in candidates.items()})
        self._init_mutable(next(iter(self._candidates)), alias)

    @property
    def choices(self) -> List[str]:
        """The candidate names, in declaration order (first = default)."""
        return list(self._candidates.keys())

    def _on_fix(self, choice: str) -> None:
        for name in self.choices:
            if name != choice:
                del self._candidates[name]

    def candidate_op(self, choice: str) -> nn.Module:
        """The op ``choice`` names (e.g. to count its cost)."""
        self.check_choice(choice)
        return self._candidates[choice]

    def forward(self, x):
        return self._candidates[self._current_choice](x)

    def extra_repr(self) -> str:
        return (f'choices={self.choices}, current={self._current_choice!r}, '
                f'fixed={self._fixed}')
