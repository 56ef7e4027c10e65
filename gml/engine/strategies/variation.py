"""Variation operators of the evolutionary subnet searches: how a child
subnet is made from its parents.

Strategy objects, after Optuna's NSGA-II crossovers: a search loop takes
them from its config (``train_cfg.mutation`` / ``train_cfg.crossover``) and
calls them with its search space and its own ``random.Random``, so a seeded
search stays reproducible and resumable. A subnet is a dict from a
mutable's name to its chosen option; the search space maps each name to its
options. Registered in ``TASK_UTILS`` (as MMRazor registers its task
modules), so a config can name its own.
"""
import random
from typing import Dict, Mapping, Optional, Sequence

from gml.registry import TASK_UTILS
from gml.utils.errors import ConfigError

from .strategy import build_strategy

Subnet = Dict[str, object]
SearchSpace = Mapping[str, Sequence]


def _probability(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f'{name} must be in [0, 1], got {value!r}')
    return float(value)


@TASK_UTILS.register_module()
class UniformMutation:
    """Re-draws each decision of a parent, uniformly from its options, with
    probability ``prob`` (SPOS's mutation).

    Args:
        prob: per-decision probability of a re-draw, in [0, 1].
    """

    def __init__(self, prob: float = 0.1):
        self.prob = _probability('prob', prob)

    def __call__(self, parent: Subnet, space: SearchSpace,
                 rng: random.Random) -> Subnet:
        # one rng.random() per decision, then the draw: the order a seeded
        # search's records depend on
        return {n: (rng.choice(c) if rng.random() < self.prob else parent[n])
                for n, c in space.items()}


@TASK_UTILS.register_module()
class UniformCrossover:
    """Takes each decision from the second parent with probability
    ``swapping_prob``, otherwise from the first (Optuna's
    ``UniformCrossover``).

    Args:
        swapping_prob: per-decision probability of the second parent's
            option, in [0, 1].
    """

    def __init__(self, swapping_prob: float = 0.5):
        self.swapping_prob = _probability('swapping_prob', swapping_prob)

    def __call__(self, first: Subnet, second: Subnet, space: SearchSpace,
                 rng: random.Random) -> Subnet:
        keep = 1.0 - self.swapping_prob
        return {n: (first[n] if rng.random() < keep else second[n])
                for n in space}


def variation_operators(mutate_prob: Optional[float],
                        mutation: Optional[Mapping],
                        crossover: Optional[Mapping]):
    """The (mutation, crossover) operators of an evolutionary loop's
    ``train_cfg``: ``mutate_prob`` (the older key) is the default
    mutation's ``prob``, 0.1 when unset."""
    if mutate_prob is not None:
        if mutation is not None:
            raise ConfigError(
                'train_cfg.mutate_prob and train_cfg.mutation are both set; '
                'expected one (mutate_prob is the default UniformMutation\'s '
                'prob: put prob in mutation, and mutate_prob=None)')
        try:
            _probability('train_cfg.mutate_prob', mutate_prob)
        except ValueError as e:
            raise ConfigError(str(e)) from e
    prob = 0.1 if mutate_prob is None else mutate_prob
    return (build_strategy(mutation, dict(type='UniformMutation', prob=prob),
                            'train_cfg.mutation'),
            build_strategy(crossover, dict(type='UniformCrossover'),
                            'train_cfg.crossover'))
