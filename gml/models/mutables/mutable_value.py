"""A searchable scalar (a width, a kernel size...) with a current value."""
from typing import Any, List, Optional

from gml.registry import MUTABLES


@MUTABLES.register_module()
class OneShotMutableValue:
    """One of ``candidates``; modules read ``current_choice`` when they run.

    It has the same choice interface as :class:`OneShotMutableOP`
    (``choices``, ``current_choice``, ``fix_chosen``, ``dump_chosen``) so a
    mutator can sample, export and fix both kinds alike.
    """

    def __init__(self, candidates: List[Any], alias: Optional[str] = None):
        if not candidates:
            raise ValueError('OneShotMutableValue needs at least one value')
        if len(set(map(repr, candidates))) != len(candidates):
            raise ValueError(f'duplicate candidates in {candidates}')
        self._candidates = list(candidates)
        self.alias = alias
        self._current_choice = self._candidates[0]
        self._fixed = False

    @property
    def choices(self) -> List[Any]:
        return list(self._candidates)

    @property
    def is_fixed(self) -> bool:
        return self._fixed

    @property
    def current_choice(self) -> Any:
        return self._current_choice

    @current_choice.setter
    def current_choice(self, choice: Any) -> None:
        if choice not in self._candidates:
            raise ValueError(f'{choice!r} is not a candidate of '
                             f'{self.alias or "this OneShotMutableValue"}; '
                             f'allowed choices: {self._candidates}')
        if self._fixed and choice != self._current_choice:
            raise RuntimeError(f'{self.alias or "OneShotMutableValue"} is '
                               f'fixed to {self._current_choice!r}')
        self._current_choice = choice

    def fix_chosen(self, choice: Any) -> None:
        self.current_choice = choice
        self._candidates = [choice]
        self._fixed = True

    def dump_chosen(self) -> Any:
        return self._current_choice

    def __repr__(self) -> str:
        return (f'OneShotMutableValue(choices={self._candidates}, '
                f'current={self._current_choice!r})')
