"""A layer that is one of several named candidate ops: the unit of SPOS."""
from typing import Dict, List, Optional

import torch.nn as nn

from gml.registry import MUTABLES


@MUTABLES.register_module()
class OneShotMutableOP(nn.Module):
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
        super().__init__()
        if not candidates:
            raise ValueError('OneShotMutableOP needs at least one candidate')
        from gml.registry import MODELS
        self._candidates = nn.ModuleDict({
            name: op if isinstance(op, nn.Module) else MODELS.build(op)
            for name, op in candidates.items()})
        self.alias = alias
        self._current_choice = self.choices[0]
        self._fixed = False

    @property
    def choices(self) -> List[str]:
        """The candidate names, in declaration order (first = default)."""
        return list(self._candidates.keys())

    @property
    def is_fixed(self) -> bool:
        return self._fixed

    @property
    def current_choice(self) -> str:
        return self._current_choice

    @current_choice.setter
    def current_choice(self, choice: str) -> None:
        if self._fixed and choice != self._current_choice:
            raise RuntimeError(
                f'{self.alias or "OneShotMutableOP"} is fixed to '
                f'{self._current_choice!r}; cannot choose {choice!r}')
        self._check_choice(choice)
        self._current_choice = choice

    def _check_choice(self, choice: str) -> None:
        if choice not in self._candidates:
            raise ValueError(f'{choice!r} is not a candidate of '
                             f'{self.alias or "this OneShotMutableOP"}; '
                             f'allowed choices: {self.choices}')

    def fix_chosen(self, choice: str) -> None:
        """Keep only ``choice``; drop the other candidates and their params."""
        if self._fixed:
            if choice != self._current_choice:
                raise RuntimeError(
                    f'{self.alias or "OneShotMutableOP"} is already fixed to '
                    f'{self._current_choice!r}')
            return
        self._check_choice(choice)
        for name in self.choices:
            if name != choice:
                del self._candidates[name]
        self._current_choice = choice
        self._fixed = True

    def dump_chosen(self) -> str:
        """The choice to export into a subnet yaml."""
        return self._current_choice

    def chosen_op(self) -> nn.Module:
        return self._candidates[self._current_choice]

    def forward(self, x):
        return self._candidates[self._current_choice](x)

    def extra_repr(self) -> str:
        return (f'choices={self.choices}, current={self._current_choice!r}, '
                f'fixed={self._fixed}')
