"""A searchable scalar (a width, a kernel size...) with a current value."""
from typing import Any, List, Optional

from gml.registry import MUTABLES

from .base_mutable import BaseMutable


@MUTABLES.register_module()
class OneShotMutableValue(BaseMutable):
    """One of ``candidates``; modules read ``current_choice`` when they run.

    Args:
        candidates: the allowed values (the first is the default).
        alias: an optional readable name, kept for logs.
    """

    def __init__(self, candidates: List[Any], alias: Optional[str] = None):
        if not candidates:
            raise ValueError('OneShotMutableValue needs at least one value')
        if len(set(map(repr, candidates))) != len(candidates):
            raise ValueError(f'duplicate candidates in {candidates}')
        self._values = list(candidates)
        self._init_mutable(self._values[0], alias)

    @property
    def choices(self) -> List[Any]:
        return list(self._values)

    def _on_fix(self, choice: Any) -> None:
        self._values = [choice]

    def __repr__(self) -> str:
        return (f'OneShotMutableValue(choices={self._values}, '
                f'current={self._current_choice!r})')
