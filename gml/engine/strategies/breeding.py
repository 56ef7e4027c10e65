"""Breeding schemes of the evolutionary subnet searches: how a generation's
children come from the parents a selection chose.

Strategy objects, after Optuna's ``NSGAIIChildGenerationStrategy``: a
search loop builds one from ``train_cfg.breeding`` and calls it with
itself (its variation operators, selection, search space, limits and
``random.Random``), the parents and how many children it wants. A scheme
returns only new, within-limits children, each with its origin
(``'mutation'`` or ``'crossover'``); the loop tops them up with random
subnets. Registered in ``TASK_UTILS``.
"""
from typing import Callable, Dict, List, Sequence, Tuple

from gml.registry import TASK_UTILS

from .variation import _probability

Child = Tuple[Dict, str]


def _picker(loop, parents: Sequence[Dict]) -> Callable[[], Dict]:
    """Draws one parent with the loop's selection and rng."""
    return lambda: loop.selection.pick(parents, loop.rng)


def _count(name: str, value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f'{name} must be an integer >= 0, got {value!r}')
    return value


@TASK_UTILS.register_module()
class QuotaBreeding:
    """SPOS's scheme: ``num_mutation`` mutants of one parent each, then
    ``num_crossover`` crossovers of two (each child is only varied once).

    Args:
        num_mutation: mutants per generation.
        num_crossover: crossovers per generation.
    """

    def __init__(self, num_mutation: int = 25, num_crossover: int = 25):
        self.num_mutation = _count('num_mutation', num_mutation)
        self.num_crossover = _count('num_crossover', num_crossover)

    def check(self, num_candidates: int) -> None:
        """Raise ValueError when a generation cannot hold the quotas."""
        if self.num_mutation + self.num_crossover > num_candidates:
            raise ValueError(
                f'num_mutation + num_crossover ({self.num_mutation} + '
                f'{self.num_crossover}) exceeds num_candidates '
                f'({num_candidates})')

    def __call__(self, loop, parents: Sequence[Dict],
                 size: int) -> List[Child]:
        space, rng, pick = loop.search_space, loop.rng, _picker(loop, parents)
        children: List[Child] = []
        self._fill(loop, children, self.num_mutation, 'mutation',
                   lambda: loop.mutation(pick(), space, rng))
        self._fill(loop, children, self.num_crossover, 'crossover',
                   lambda: loop.crossover(pick(), pick(), space, rng))
        return children

    @staticmethod
    def _fill(loop, children: List[Child], count: int, origin: str,
              make: Callable[[], Dict]) -> None:
        keys = {loop.key(s) for s, _ in children}
        made = 0
        for _ in range(loop.max_trials):
            if made == count:
                break
            child = make()
            if loop.is_new_and_valid(child, keys):
                children.append((child, origin))
                keys.add(loop.key(child))
                made += 1
        if made < count:
            loop.runner.logger.warning(
                f'generation {loop.generation}: only {made}/{count} new '
                f'{origin} candidates in {loop.max_trials} trials; random '
                'ones fill the gap')


@TASK_UTILS.register_module()
class CrossoverMutationBreeding:
    """NSGA-II's scheme (Optuna's child generation): each child is a
    crossover of two parents with probability ``crossover_prob``, else a
    copy of one, and is then mutated.

    Args:
        crossover_prob: probability that a child is a crossover, in [0, 1].
    """

    def __init__(self, crossover_prob: float = 0.5):
        self.crossover_prob = _probability('crossover_prob', crossover_prob)

    def check(self, num_candidates: int) -> None:
        """Any generation size works."""

    def __call__(self, loop, parents: Sequence[Dict],
                 size: int) -> List[Child]:
        space, rng, pick = loop.search_space, loop.rng, _picker(loop, parents)
        children: List[Child] = []
        keys = set()
        for _ in range(loop.max_trials):
            if len(children) == size:
                break
            if rng.random() < self.crossover_prob:
                child = loop.crossover(pick(), pick(), space, rng)
                origin = 'crossover'
            else:
                child, origin = dict(pick()), 'mutation'
            child = loop.mutation(child, space, rng)
            if loop.is_new_and_valid(child, keys):
                children.append((child, origin))
                keys.add(loop.key(child))
        return children
