"""Parent selection of the evolutionary subnet searches: which evaluated
candidates breed, and how one parent is drawn from them.

Strategy objects, like the variation operators
(:mod:`gml.engine.strategies.variation`): a search loop builds one from
``train_cfg.selection``, lets it ``check`` the objectives
(``{name: 'max'|'min'}``) once, then calls ``parents`` with its records,
objectives and how many parents it keeps, and ``pick`` with those parents
and its own ``random.Random``. Registered in ``TASK_UTILS``.
"""
import random
from typing import Dict, List, Mapping, Sequence

from gml.registry import TASK_UTILS

from .pareto import nsga2_order, to_losses


@TASK_UTILS.register_module()
class UniformTopSelection:
    """SPOS's selection: the ``size`` best records by the one objective
    (ties: the earlier candidate first) are the parents, and each is drawn
    with equal chance. The loop gives the objective and ``size`` (its
    ``top_k``).
    """

    def check(self, objectives: Mapping[str, str]) -> None:
        """Raise ValueError when it cannot rank by ``objectives``."""
        if len(objectives) != 1:
            raise ValueError('UniformTopSelection ranks by one objective, '
                             f'got {list(objectives)}; use '
                             'NSGA2TournamentSelection for several')

    def parents(self, records: Sequence[Mapping],
                objectives: Mapping[str, str], size: int) -> List[Dict]:
        self.check(objectives)
        losses = to_losses(records, objectives)[:, 0]
        order = sorted(range(len(records)),
                       key=lambda i: (losses[i], records[i]['id']))
        return [records[i]['subnet'] for i in order[:size]]

    def pick(self, parents: Sequence[Dict], rng: random.Random) -> Dict:
        return rng.choice(parents)


@TASK_UTILS.register_module()
class NSGA2TournamentSelection:
    """NSGA-II's selection: the ``size`` best records in NSGA-II order
    (Pareto rank, then crowding distance) are the parents, and a parent is
    the better of two drawn at random (binary tournament). The loop gives
    the objectives and ``size`` (its ``population_size``).
    """

    def check(self, objectives: Mapping[str, str]) -> None:
        """Any number of objectives works (one: a plain ranking)."""

    def parents(self, records: Sequence[Mapping],
                objectives: Mapping[str, str], size: int) -> List[Dict]:
        order = nsga2_order(to_losses(records, objectives))
        return [records[i]['subnet'] for i in order[:size]]

    def pick(self, parents: Sequence[Dict], rng: random.Random) -> Dict:
        # parents are best first: the lower index wins
        a, b = (rng.randrange(len(parents)) for _ in range(2))
        return parents[min(a, b)]
