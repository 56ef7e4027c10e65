"""SPOS's evolutionary search: mutate and cross over the best subnets."""
from typing import Dict, List, Mapping, Optional, Tuple

from gml.engine.search.strategy import build_selection
from gml.engine.search.variation import variation_operators
from gml.registry import LOOPS
from gml.utils.errors import ConfigError

from .base_search_loop import BaseSearchLoop


@LOOPS.register_module()
class EvolutionSearchLoop(BaseSearchLoop):
    """Generation 0 is random; each later one is ``num_mutation`` mutants
    and ``num_crossover`` crossovers of the current top-k, topped up with
    random subnets to ``num_candidates``.

    Args:
        num_mutation: mutants per generation.
        num_crossover: crossovers per generation.
        mutate_prob: probability that a mutant re-draws each block (the
            default mutation's ``prob``; 0.1 when unset).
        mutation: the mutation operator's config (default
            ``dict(type='UniformMutation', prob=mutate_prob)``, see
            :mod:`gml.engine.search.variation`); not with ``mutate_prob``.
        crossover: the crossover operator's config (default
            ``dict(type='UniformCrossover', swapping_prob=0.5)``).
        selection: which candidates breed and how a parent is drawn
            (default ``dict(type='UniformTopSelection')``: the ``top_k``
            by score, uniformly; see :mod:`gml.engine.search.selection`).
        (other arguments: see :class:`BaseSearchLoop`)
    """

    #: what the parents are ranked by: the supernet's score
    objectives = {'score': 'max'}

    def __init__(self, runner, dataloader=None, evaluator=None,
                 num_mutation: int = 25, num_crossover: int = 25,
                 mutate_prob: Optional[float] = None,
                 mutation: Optional[Mapping] = None,
                 crossover: Optional[Mapping] = None,
                 selection: Optional[Mapping] = None, **kwargs):
        super().__init__(runner, dataloader, evaluator, **kwargs)
        self.mutation, self.crossover = variation_operators(
            mutate_prob, mutation, crossover)
        self.selection = build_selection(
            selection, dict(type='UniformTopSelection'), self.objectives)
        if num_mutation + num_crossover > self.num_candidates:
            raise ConfigError(
                f'train_cfg.num_mutation + num_crossover ({num_mutation} + '
                f'{num_crossover}) exceeds num_candidates '
                f'({self.num_candidates})')
        self.num_mutation = num_mutation
        self.num_crossover = num_crossover

    def propose(self) -> List[Tuple[Dict, str]]:
        proposals: List[Tuple[Dict, str]] = []
        if self.records:
            parents = self.selection.parents(
                self.records, self.objectives, self.top_k)
            space, rng, pick = self.search_space, self.rng, \
                self.selection.pick
            self._breed(proposals, self.num_mutation, 'mutation',
                        lambda: self.mutation(pick(parents, rng), space,
                                              rng))
            self._breed(proposals, self.num_crossover, 'crossover',
                        lambda: self.crossover(pick(parents, rng),
                                               pick(parents, rng), space,
                                               rng))
        self.fill_random(proposals)
        return proposals

    def _breed(self, proposals, count, origin, make) -> None:
        keys = {self.key(s) for s, _ in proposals}
        made = 0
        for _ in range(self.max_trials):
            if made == count:
                break
            child = make()
            if self.is_new_and_valid(child, keys):
                proposals.append((child, origin))
                keys.add(self.key(child))
                made += 1
        if made < count:
            self.runner.logger.warning(
                f'generation {self.generation}: only {made}/{count} new '
                f'{origin} candidates in {self.max_trials} trials; random '
                'ones fill the gap')

