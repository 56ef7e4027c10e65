"""Breeding schemes of the evolutionary searches: how many children of
which origin, only new and valid ones, and built from train_cfg."""
import logging
import random

import pytest

from gml.engine.strategies.breeding import (CrossoverMutationBreeding,
                                        QuotaBreeding)
from gml.engine.strategies.selection import UniformTopSelection
from gml.engine.strategies.strategy import build_breeding
from gml.engine.strategies.variation import UniformCrossover, UniformMutation
from gml.registry import TASK_UTILS
from gml.utils.errors import ConfigError

SPACE = {f'b{i}': [0, 1, 2, 3] for i in range(6)}


class Breeder:
    """What a breeding scheme reads from its search loop: the operators,
    the selection, the space and its limit (here: choices sum <= 12), the
    subnets seen and the rng."""

    def __init__(self, seen=(), limit=12, seed=0):
        self.search_space, self.rng = SPACE, random.Random(seed)
        self.selection = UniformTopSelection()
        self.mutation = UniformMutation(0.3)
        self.crossover = UniformCrossover()
        self.max_trials, self.generation = 1000, 1
        self.limit, self.seen = limit, {self.key(s) for s in seen}
        self.runner = type('R', (), {'logger': logging.getLogger('breed')})

    def key(self, subnet):
        return tuple(subnet[n] for n in SPACE)

    def is_new_and_valid(self, subnet, batch_keys):
        k = self.key(subnet)
        return (k not in self.seen and k not in batch_keys
                and sum(k) <= self.limit)


PARENTS = [dict.fromkeys(SPACE, 1), dict.fromkeys(SPACE, 2)]


def check_children(children, loop):
    keys = [loop.key(c) for c, _ in children]
    assert len(set(keys)) == len(keys)  # no two alike
    assert all(loop.is_new_and_valid(c, set()) for c, _ in children)


def test_quota_breeding_makes_its_mutants_then_its_crossovers():
    loop = Breeder(seen=PARENTS)
    children = QuotaBreeding(num_mutation=5, num_crossover=3)(
        loop, PARENTS, size=20)
    assert [o for _, o in children] == ['mutation'] * 5 + ['crossover'] * 3
    check_children(children, loop)


def test_quota_breeding_says_when_it_falls_short(caplog):
    # the only valid subnets: all-zero but one block at 1 (and all-zero)
    loop = Breeder(limit=1, seed=1)
    loop.max_trials = 200
    parents = [dict.fromkeys(SPACE, 0)]
    with caplog.at_level(logging.WARNING, 'breed'):
        children = QuotaBreeding(num_mutation=50, num_crossover=0)(
            loop, parents, size=50)
    assert 0 < len(children) <= 7
    assert f'only {len(children)}/50 new mutation candidates in 200 ' \
        'trials' in caplog.text


@pytest.mark.parametrize('prob, origins', [(0.0, {'mutation'}),
                                           (1.0, {'crossover'}),
                                           (0.5, {'mutation', 'crossover'})])
def test_crossover_mutation_breeding_fills_the_size(prob, origins):
    loop = Breeder(seen=PARENTS)
    children = CrossoverMutationBreeding(prob)(loop, PARENTS, size=12)
    assert len(children) == 12
    assert {o for _, o in children} == origins
    check_children(children, loop)


def test_bad_settings_are_one_line_naming_the_key():
    with pytest.raises(ConfigError, match=r'^train_cfg.num_mutation \+ '
                       r'num_crossover \(4 \+ 1\) exceeds num_candidates '
                       r'\(4\)$'):
        build_breeding(None, dict(num_mutation=4, num_crossover=1),
                       'QuotaBreeding', 4)
    with pytest.raises(ConfigError, match=r'^train_cfg.breeding: '
                       'num_mutation \\+ num_crossover'):
        build_breeding(dict(type='QuotaBreeding', num_mutation=4), {},
                       'QuotaBreeding', 3)
    with pytest.raises(ConfigError, match=r'^train_cfg.breeding and '
                       r'train_cfg.crossover_prob are both given'):
        build_breeding(dict(type='CrossoverMutationBreeding'),
                       dict(crossover_prob=0.3), 'CrossoverMutationBreeding',
                       4)
    with pytest.raises(ConfigError, match=r'crossover_prob must be in '
                       r'\[0, 1\], got 1.5'):
        build_breeding(None, dict(crossover_prob=1.5),
                       'CrossoverMutationBreeding', 4)
    with pytest.raises(ConfigError, match='num_crossover must be an '
                       'integer >= 0, got -1'):
        build_breeding(None, dict(num_mutation=None, num_crossover=-1),
                       'QuotaBreeding', 4)


@TASK_UTILS.register_module()
class _CountingBreeding(CrossoverMutationBreeding):
    """CrossoverMutationBreeding that counts its calls (a user's own)."""
    calls = 0

    def __call__(self, loop, parents, size):
        type(self).calls += 1
        return super().__call__(loop, parents, size)


def test_evolution_loop_takes_its_breeding_from_the_config(tmp_path):
    import torch

    from tests.data.tiny_supernet import build_tiny_supernet
    from tests.test_engine.test_loops.test_search_loop_scoring import search
    torch.manual_seed(3)
    ckpt = str(tmp_path / 'supernet.pth')
    torch.save({'state_dict': build_tiny_supernet().state_dict(),
                'meta': {}}, ckpt)
    _CountingBreeding.calls = 0
    loop = search(ckpt, tmp_path / 'own', num_mutation=None,
                  num_crossover=None,
                  breeding=dict(type='_CountingBreeding', crossover_prob=1.0))
    assert _CountingBreeding.calls == loop.generation - 1 >= 1
    origins = {r['origin'] for r in loop.records}
    assert 'crossover' in origins and 'mutation' not in origins
