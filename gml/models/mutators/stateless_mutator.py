"""Find the mutables of a model and drive their choices as one subnet."""
import random
from typing import Any, Dict, List, Optional

import torch.nn as nn

from gml.registry import MUTATORS
from gml.structures import subnet_from_cfg, validate_subnet

from ..mutables import OneShotMutableOP, OneShotMutableValue


@MUTATORS.register_module('StateslessMutator')  # old toolbox's spelling
@MUTATORS.register_module()
class StatelessMutator:
    """Sample, set, get, enumerate and fix subnets of a supernet.

    "Stateless": the choices live in the mutables themselves, the mutator
    only finds them (``prepare_from_supernet``) and reads/writes them. A
    subnet is a ``{mutable name: choice}`` dict, the name being the module
    path in the supernet (``backbone.layers.0.0``).
    """

    def __init__(self):
        self._mutables: Dict[str, Any] = {}

    def prepare_from_supernet(self, supernet: nn.Module) -> None:
        found = {}
        for name, module in supernet.named_modules():
            if isinstance(module, OneShotMutableOP):
                found[name] = module
            for attr, value in vars(module).items():
                if isinstance(value, OneShotMutableValue):
                    found[f'{name}.{attr}' if name else attr] = value
        if not found:
            raise ValueError(
                f'{type(supernet).__name__} has no mutable layer '
                '(OneShotMutableOP/OneShotMutableValue): nothing to search')
        for name, mutable in found.items():
            mutable.alias = mutable.alias or name
        self._mutables = found

    @property
    def mutables(self) -> Dict[str, Any]:
        return dict(self._mutables)

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
        """Each layer's first candidate: the supernet's default path."""
        return {n: c[0] for n, c in self.search_space.items()}

    @property
    def current_choices(self) -> Dict[str, Any]:
        return {n: m.current_choice for n, m in self._mutables.items()}

    def set_choices(self, choices: Dict[str, Any],
                    source: str = 'subnet') -> None:
        validate_subnet(choices, self.search_space, source)
        for name, mutable in self._mutables.items():
            mutable.current_choice = choices[name]

    def fix_subnet(self, mutable_cfg) -> Dict[str, Any]:
        """Fix the supernet to ``mutable_cfg`` (yaml path or dict) for good."""
        source = mutable_cfg if isinstance(mutable_cfg, str) else 'mutable_cfg'
        subnet = subnet_from_cfg(mutable_cfg)
        validate_subnet(subnet, self.search_space, source)
        for name, mutable in self._mutables.items():
            mutable.fix_chosen(subnet[name])
        return subnet
