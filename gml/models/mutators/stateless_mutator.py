"""The mutator of one-shot supernets (SPOS)."""
from gml.registry import MUTATORS

from ..mutables import OneShotMutableOP, OneShotMutableValue
from .base_mutator import BaseMutator


@MUTATORS.register_module('StateslessMutator')  # old toolbox's spelling
@MUTATORS.register_module()
class StatelessMutator(BaseMutator):
    """Sample, set, enumerate and fix subnets of a one-shot supernet.

    "Stateless": the choices live in the mutables themselves, the mutator
    only finds them and reads/writes them. A subnet names each mutable by
    its module path in the supernet (``backbone.layers.0.0``).

    Args:
        init_cfg: mmengine's initialisation config (the mutator has no
            weights; kept for BaseModule).
    """

    mutable_types = (OneShotMutableOP, OneShotMutableValue)
