"""SPOS's evolutionary search: mutate and cross over the best subnets."""
from typing import Dict, List, Mapping, Optional, Tuple

from gml.engine.search.strategy import build_breeding, build_selection
from gml.engine.search.variation import variation_operators
from gml.registry import LOOPS

from .base_search_loop import BaseSearchLoop


@LOOPS.register_module()
class EvolutionSearchLoop(BaseSearchLoop):
    """Generation 0 is random; each later one is bred from the current
    top-k (by default ``num_mutation`` mutants and ``num_crossover``
    crossovers), topped up with random subnets to ``num_candidates``.

    Args:
        num_mutation: mutants per generation (the default breeding's; 25
            when unset).
        num_crossover: crossovers per generation (likewise; 25 when unset).
        breeding: the breeding scheme's config (default ``dict(
            type='QuotaBreeding', num_mutation=..., num_crossover=...)``,
            see :mod:`gml.engine.search.breeding`); not with
            ``num_mutation``/``num_crossover``.
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
                 num_mutation: Optional[int] = None,
                 num_crossover: Optional[int] = None,
                 breeding: Optional[Mapping] = None,
                 mutate_prob: Optional[float] = None,
                 mutation: Optional[Mapping] = None,
                 crossover: Optional[Mapping] = None,
                 selection: Optional[Mapping] = None, **kwargs):
        super().__init__(runner, dataloader, evaluator, **kwargs)
        self.mutation, self.crossover = variation_operators(
            mutate_prob, mutation, crossover)
        self.selection = build_selection(
            selection, dict(type='UniformTopSelection'), self.objectives)
        self.breeding = build_breeding(
            breeding, dict(num_mutation=num_mutation,
                           num_crossover=num_crossover),
            'QuotaBreeding', self.num_candidates)

    def propose(self) -> List[Tuple[Dict, str]]:
        proposals: List[Tuple[Dict, str]] = []
        if self.records:
            parents = self.selection.parents(
                self.records, self.objectives, self.top_k)
            proposals = self.breeding(self, parents, self.num_candidates)
        self.fill_random(proposals)
        return proposals
