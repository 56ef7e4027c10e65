"""Find the mutables of a supernet and drive their choices as one subnet.

A subnet is a ``{name: choice}`` dict over every mutable of the supernet.
The API search loops, validation loops and algorithms use: ``mutables``,
``search_space``, ``num_subnets``, ``current_choices``,
``set_choices(choices)``, ``sample_choices(rng)``, ``default_choices()``,
``max_choices()``/``min_choices()`` and ``fix_subnet(cfg)``.
"""
import random
from typing import Any, Dict, List, Optional, Tuple, Type

import torch.nn as nn
from mmengine.model import BaseModule

from gml.structures import SubnetError, check_subnet_names, subnet_from_cfg
from gml.utils.errors import ConfigError

from ..mutables import BaseMutable


class BaseMutator(BaseModule):
    """Find, sample, set and fix the mutables of a supernet.

    Subclasses say which mutables they drive (``mutable_types``) and may
    name them differently (``name_of``) or sample differently
    (``sample_choices``).

    Args:
        init_cfg: mmengine init config (mutators with parameters).
    """

    mutable_types: Tuple[Type[BaseMutable], ...] = (BaseMutable, )

    def __init__(self, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        # a plain dict: the mutables belong to the supernet's state
        self._mutables: Dict[str, BaseMutable] = {}

    # -- finding -----------------------------------------------------------
    def name_of(self, path: str, mutable: BaseMutable) -> str:
        """A mutable's key in subnets: its module path in the supernet."""
        return path

    def prepare_from_supernet(self, supernet: nn.Module) -> None:
        """Find the supernet's mutables (modules, and values held as
        attributes of modules)."""
        found, seen = {}, set()
        for path, module in supernet.named_modules():
            candidates = [(path, module)] + [
                (f'{path}.{attr}' if path else attr, value)
                for attr, value in vars(module).items()
                if isinstance(value, BaseMutable)
                and not isinstance(value, nn.Module)]
            for where, mutable in candidates:
                if isinstance(mutable, self.mutable_types) and \
                        id(mutable) not in seen:
                    seen.add(id(mutable))
                    found[self.name_of(where, mutable)] = mutable
        if not found:
            names = ', '.join(t.__name__ for t in self.mutable_types)
            raise ConfigError(
                f'{type(self).__name__}: {type(supernet).__name__} has no '
                f'mutable layer ({names}): nothing to search')
        for name, mutable in found.items():
            mutable.alias = mutable.alias or name
        self._mutables = found

    @property
    def mutables(self) -> Dict[str, BaseMutable]:
        return dict(self._mutables)

    # -- the space ---------------------------------------------------------
    @property
    def search_space(self) -> Dict[str, List[Any]]:
        """``{name: allowed choices}`` in model order."""
        return {n: m.choices for n, m in self._mutables.items()}

    @property
    def num_subnets(self) -> int:
        total = 1
        for choices in self.search_space.values():
            total *= len(choices)
        return total

    def sample_choices(self, rng: Optional[random.Random] = None
                       ) -> Dict[str, Any]:
        """A uniformly random subnet (``rng`` for reproducible searches)."""
        rng = rng or random
        return {n: rng.choice(c) for n, c in self.search_space.items()}

    def default_choices(self) -> Dict[str, Any]:
        """The supernet's default path (each mutable's default choice)."""
        return {n: m.default_choice for n, m in self._mutables.items()}

    def max_choices(self) -> Dict[str, Any]:
        return {n: m.choices[-1] for n, m in self._mutables.items()}

    def min_choices(self) -> Dict[str, Any]:
        return {n: m.choices[0] for n, m in self._mutables.items()}

    # -- setting -----------------------------------------------------------
    @property
    def current_choices(self) -> Dict[str, Any]:
        return {n: m.current_choice for n, m in self._mutables.items()}

    def set_choices(self, choices: Dict[str, Any],
                    source: str = 'subnet') -> None:
        """Make the supernet run ``choices`` (every mutable named once);
        a bad subnet is a SubnetError naming ``source``."""
        check_subnet_names(choices, list(self._mutables), source)
        for name, mutable in self._mutables.items():
            try:
                mutable.check_choice(choices[name])
            except ValueError:
                raise SubnetError(
                    f'{source}: block {name!r} chooses {choices[name]!r}, '
                    'which does not exist; allowed choices: '
                    f'{mutable.choices}') from None
        for name, mutable in self._mutables.items():
            mutable.current_choice = choices[name]

    def fix_subnet(self, mutable_cfg) -> Dict[str, Any]:
        """Fix the supernet to ``mutable_cfg`` (yaml path or dict) for good:
        the other choices' weights are dropped."""
        source = mutable_cfg if isinstance(mutable_cfg, str) else 'mutable_cfg'
        subnet = subnet_from_cfg(mutable_cfg)
        self.set_choices(subnet, source)
        for name, mutable in self._mutables.items():
            mutable.fix_chosen(subnet[name])
        return subnet
