"""What every searchable choice in a model has in common.

The vocabulary (after MMRazor 1.x's mutables): ``choices`` (what may be
chosen), ``current_choice`` (what the model uses now; setting it checks it),
``fix_chosen(choice)`` (make the choice permanent), ``is_fixed``,
``dump_chosen()`` (the value a subnet file stores) and ``alias`` (its name
in subnets and messages). Mutators speak only this vocabulary.
"""
from typing import Any, List


class BaseMutable:
    """A searchable choice: a candidate op, a value, a channel width.

    A mixin: subclasses are ``nn.Module``s (ops, channels) or plain objects
    (values); they call :meth:`_init_mutable` and define :attr:`choices`.
    """

    def _init_mutable(self, current_choice: Any, alias=None) -> None:
        self.alias = alias
        self._current_choice = current_choice
        self._fixed = False

    @property
    def choices(self) -> List[Any]:
        """The allowed choices, the default first."""
        raise NotImplementedError

    @property
    def default_choice(self) -> Any:
        """The choice of the supernet's default path (the first)."""
        return self.choices[0]

    @property
    def name(self) -> str:
        return self.alias or type(self).__name__

    @property
    def is_fixed(self) -> bool:
        return self._fixed

    def check_choice(self, choice: Any) -> None:
        """Raise ValueError unless ``choice`` may be chosen."""
        if choice not in self.choices:
            raise ValueError(f'{choice!r} is not a candidate of '
                             f'{self.name}; allowed choices: {self.choices}')

    @property
    def current_choice(self) -> Any:
        return self._current_choice

    @current_choice.setter
    def current_choice(self, choice: Any) -> None:
        if self._fixed and choice != self._current_choice:
            raise RuntimeError(f'{self.name} is fixed to '
                               f'{self._current_choice!r}; cannot choose '
                               f'{choice!r}')
        self.check_choice(choice)
        self._current_choice = choice

    def fix_chosen(self, choice: Any) -> None:
        """Keep ``choice`` for good (idempotent); subclasses drop what the
        other choices needed in :meth:`_on_fix`."""
        if self._fixed:
            if choice != self._current_choice:
                raise RuntimeError(f'{self.name} is already fixed to '
                                   f'{self._current_choice!r}')
            return
        self.current_choice = choice
        self._on_fix(choice)
        self._fixed = True

    def _on_fix(self, choice: Any) -> None:
        """Hook of :meth:`fix_chosen`: forget the other choices."""

    def dump_chosen(self) -> Any:
        """The current choice as a subnet file stores it."""
        return self._current_choice
