"""Search argument types of ``task.search_args`` and their Optuna form.

Every type maps a search argument to one Optuna distribution; ``decode`` turns
the sampled Optuna value back into template values (a Nested choice is sampled
as its index and expands to several template values).
"""
import itertools
import math
from typing import Any, Dict, List, Optional

from .errors import SearchError

_SCALARS = (str, int, float, bool)


class SearchArg:
    """One entry of ``search_args``; ``where`` names it in error messages.

    Args:
        spec: the yaml entry (``type``, ``name``, ``value``...).
        where: its place in the yaml, e.g. ``task.search_args[2]``.
    """

    def __init__(self, spec: dict, where: str):
        self.spec = spec
        self.where = where

    # Template names this argument fills.
    def template_names(self) -> List[str]:
        return [self.name]

    def distribution(self):
        raise NotImplementedError

    def grid_values(self) -> Optional[list]:
        """Finite values for grid search, None when the range is continuous."""
        raise NotImplementedError

    def decode(self, value) -> Dict[str, Any]:
        return {self.name: value}

    def _need(self, key, types, what):
        if key not in self.spec:
            raise SearchError(f'{self.where}.{key}: missing; expected {what}')
        value = self.spec[key]
        if not isinstance(value, types) or (isinstance(value, bool)
                                            and bool not in _as_tuple(types)):
            raise SearchError(f'{self.where}.{key}: got {value!r}; '
                              f'expected {what}')
        return value

    def _check_keys(self, allowed):
        unknown = sorted(set(self.spec) - set(allowed) - {'type'})
        if unknown:
            raise SearchError(f'{self.where}: unknown key(s) {unknown}; '
                              f'{self.spec["type"]} takes {sorted(allowed)}')


def _as_tuple(types):
    return types if isinstance(types, tuple) else (types, )


class Categorical(SearchArg):
    """``{type: Categorical, name: epochs, value: [3, 5]}``.

    Args:
        spec: the yaml entry: ``name`` and a non-empty ``value`` list.
        where: its place in the yaml, for error messages.
    """

    def __init__(self, spec, where):
        super().__init__(spec, where)
        self._check_keys(['name', 'value'])
        self.name = self._need('name', str, 'a template placeholder name')
        self.values = self._need('value', list, 'a non-empty list of values')
        if not self.values:
            raise SearchError(f'{where}.value: empty; expected at least one')
        for v in self.values:
            if not isinstance(v, _SCALARS):
                raise SearchError(f'{where}.value: {v!r} is not a number or '
                                  'string; use Nested for grouped values')
        if len(set(map(repr, self.values))) != len(self.values):
            raise SearchError(f'{where}.value: duplicate values')

    def distribution(self):
        from optuna.distributions import CategoricalDistribution
        return CategoricalDistribution(self.values)

    def grid_values(self):
        return list(self.values)


class Nested(SearchArg):
    """Values that move together: ``value: [{lr: 0.5, batch-size: 512}, ...]``.

    Sampled as the index of the chosen dict (Optuna param ``name``, default
    ``nested<i>``), so samplers see one categorical choice.

    Args:
        spec: the yaml entry: ``value``, a list of dicts with the same keys,
            and an optional ``name``.
        where: its place in the yaml, for error messages.
        index: its position among the Nested entries (the default name).
    """

    def __init__(self, spec, where, index):
        super().__init__(spec, where)
        self._check_keys(['name', 'value'])
        self.name = spec.get('name', f'nested{index}')
        if not isinstance(self.name, str):
            raise SearchError(f'{where}.name: expected a string')
        self.values = self._need('value', list,
                                 'a non-empty list of {name: value} dicts')
        if not self.values:
            raise SearchError(f'{where}.value: empty; expected at least one')
        keys = None
        for i, choice in enumerate(self.values):
            if not isinstance(choice, dict) or not choice:
                raise SearchError(f'{where}.value[{i}]: got {choice!r}; '
                                  'expected a non-empty {name: value} dict')
            for k, v in choice.items():
                if not isinstance(k, str) or not isinstance(v, _SCALARS):
                    raise SearchError(f'{where}.value[{i}].{k}: expected a '
                                      'name mapped to a number or string')
            if keys is None:
                keys = list(choice)
            elif set(choice) != set(keys):
                raise SearchError(f'{where}.value[{i}]: keys {sorted(choice)}'
                                  f' differ from value[0] keys {sorted(keys)}')
        self.keys = keys

    def template_names(self):
        return list(self.keys)

    def distribution(self):
        from optuna.distributions import CategoricalDistribution
        return CategoricalDistribution(list(range(len(self.values))))

    def grid_values(self):
        return list(range(len(self.values)))

    def decode(self, value):
        return dict(self.values[value])


class _Range(SearchArg):
    """Numeric range: ``{type: Float, name: lr, low, high, step?, log?}``."""
    number = (int, float)

    def __init__(self, spec, where):
        super().__init__(spec, where)
        self._check_keys(['name', 'low', 'high', 'step', 'log'])
        self.name = self._need('name', str, 'a template placeholder name')
        self.low = self._need('low', self.number, 'a number')
        self.high = self._need('high', self.number, 'a number')
        self.step = spec.get('step')
        self.log = spec.get('log', False)
        if not isinstance(self.log, bool):
            raise SearchError(f'{where}.log: expected true or false')
        if self.low > self.high:
            raise SearchError(f'{where}: low {self.low} > high {self.high}')
        if self.step is not None:
            if (not isinstance(self.step, self.number)
                    or isinstance(self.step, bool) or self.step <= 0):
                raise SearchError(f'{where}.step: got {self.step!r}; '
                                  'expected a positive number')
            if self.log and type(self) is Float:
                raise SearchError(f'{where}: step and log cannot be combined'
                                  ' for Float (Optuna has no such range)')
        if self.log and self.low <= 0:
            raise SearchError(f'{where}.low: log range needs low > 0')


class Int(_Range):
    """An integer range: ``{type: Int, name, low, high, step?, log?}``.

    Args:
        spec: the argument's mapping from the search yaml.
        where: its place in the yaml, for errors (``search.args[0]``).
    """
    number = int

    def distribution(self):
        from optuna.distributions import IntDistribution
        return IntDistribution(self.low, self.high, log=self.log,
                               step=self.step or 1)

    def grid_values(self):
        if self.log:
            return None
        return list(range(self.low, self.high + 1, self.step or 1))


class Float(_Range):
    """A real range: ``{type: Float, name, low, high, step?, log?}``.

    Args:
        spec: the argument's mapping from the search yaml.
        where: its place in the yaml, for errors (``search.args[0]``).
    """

    def distribution(self):
        from optuna.distributions import FloatDistribution
        return FloatDistribution(float(self.low), float(self.high),
                                 log=self.log, step=self.step)

    def grid_values(self):
        if self.step is None:
            return None
        n = int(math.floor((self.high - self.low) / self.step + 1e-9))
        # Round away float noise so 0.1+0.2 prints as 0.3 in commands.
        return [round(self.low + i * self.step, 12) for i in range(n + 1)]


TYPES = {'Categorical': Categorical, 'Nested': Nested, 'Int': Int,
         'Float': Float}


def build_search_args(specs, where: str) -> List[SearchArg]:
    if not isinstance(specs, list) or not specs:
        raise SearchError(f'{where}: expected a non-empty list of '
                          '{type: ..., name: ..., value: ...} entries')
    args, nested = [], 0
    for i, spec in enumerate(specs):
        here = f'{where}[{i}]'
        if not isinstance(spec, dict):
            raise SearchError(f'{here}: got {spec!r}; expected a mapping')
        kind = spec.get('type')
        if kind not in TYPES:
            raise SearchError(f'{here}.type: unknown type {kind!r}; expected '
                              f'one of {", ".join(TYPES)}')
        if kind == 'Nested':
            args.append(Nested(spec, here, nested))
            nested += 1
        else:
            args.append(TYPES[kind](spec, here))
    names = [a.name for a in args]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SearchError(f'{where}: argument name(s) {sorted(dup)} repeated')
    return args


class SearchSpace:
    """All search arguments: Optuna distributions, grid, job parameters.

    Args:
        args: the task's search arguments, in the yaml's order.
    """

    def __init__(self, args: List[SearchArg]):
        self.args = args

    def template_names(self) -> List[str]:
        return [n for a in self.args for n in a.template_names()]

    def distributions(self) -> dict:
        return {a.name: a.distribution() for a in self.args}

    def grid(self) -> Optional[Dict[str, list]]:
        grid = {a.name: a.grid_values() for a in self.args}
        if any(v is None for v in grid.values()):
            return None
        return grid

    def grid_size(self) -> Optional[int]:
        grid = self.grid()
        if grid is None:
            return None
        return math.prod(len(v) for v in grid.values())

    def grid_points(self):
        grid = self.grid()
        keys = list(grid)
        for combo in itertools.product(*(grid[k] for k in keys)):
            yield dict(zip(keys, combo))

    def example_values(self) -> Dict[str, list]:
        """Template name -> values to check format specs against: every
        grid value, or a range's ends."""
        found: Dict[str, list] = {}
        for arg in self.args:
            values = arg.grid_values()
            if values is None:
                dist = arg.distribution()
                values = [dist.low, dist.high]
            for value in values:
                for name, v in arg.decode(value).items():
                    found.setdefault(name, []).append(v)
        return found

    def decode(self, sampled: dict) -> Dict[str, Any]:
        """Optuna params -> template values, in search_args order."""
        params = {}
        for a in self.args:
            params.update(a.decode(sampled[a.name]))
        return params
