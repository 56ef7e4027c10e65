"""SPOS's evolutionary search: mutate and cross over the best subnets."""
from typing import Dict, List, Optional, Tuple

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
        mutate_prob: probability that a mutant re-draws each block.
        (other arguments: see :class:`BaseSearchLoop`)
    """

    def __init__(self, runner, dataloader=None, evaluator=None,
                 num_mutation: int = 25, num_crossover: int = 25,
                 mutate_prob: float = 0.1, **kwargs):
        super().__init__(runner, dataloader, evaluator, **kwargs)
        if not 0.0 <= mutate_prob <= 1.0:
            raise ConfigError(f'train_cfg.mutate_prob must be in [0, 1], '
                              f'got {mutate_prob}')
        if num_mutation + num_crossover > self.num_candidates:
            raise ConfigError(
                f'train_cfg.num_mutation + num_crossover ({num_mutation} + '
                f'{num_crossover}) exceeds num_candidates '
                f'({self.num_candidates})')
        self.num_mutation = num_mutation
        self.num_crossover = num_crossover
        self.mutate_prob = mutate_prob

    def propose(self) -> List[Tuple[Dict, str]]:
        proposals: List[Tuple[Dict, str]] = []
        if self.records:
            parents = [r['subnet'] for r in self.top]
            self._breed(proposals, self.num_mutation, 'mutation',
                        lambda: self.mutate(self.rng.choice(parents)))
            self._breed(proposals, self.num_crossover, 'crossover',
                        lambda: self.crossover(self.rng.choice(parents),
                                               self.rng.choice(parents)))
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

    def mutate(self, parent: Dict) -> Dict:
        return {n: (self.rng.choice(c) if self.rng.random() < self.mutate_prob
                    else parent[n])
                for n, c in self.search_space.items()}

    def crossover(self, a: Dict, b: Dict) -> Dict:
        return {n: (a[n] if self.rng.random() < 0.5 else b[n])
                for n in self.search_space}
