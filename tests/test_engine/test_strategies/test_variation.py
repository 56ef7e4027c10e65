"""The evolutionary searches' variation operators: strategy objects the
loops take from their config."""
import json
import random

import pytest

from gml.engine.strategies.strategy import build_strategy
from gml.engine.strategies.variation import (UniformCrossover, UniformMutation,
                                         variation_operators)
from gml.registry import TASK_UTILS
from gml.utils.errors import ConfigError

SPACE = {'a': [0, 1, 2], 'b': ['x', 'y'], 'c': [3, 4, 5, 6]}
FIRST = {'a': 0, 'b': 'x', 'c': 3}
SECOND = {'a': 2, 'b': 'y', 'c': 6}


def test_mutation_probability_bounds_what_changes():
    rng = random.Random(0)
    assert all(UniformMutation(0.0)(FIRST, SPACE, rng) == FIRST
               for _ in range(20))
    children = [UniformMutation(1.0)(FIRST, SPACE, rng) for _ in range(200)]
    assert all(set(c) == set(SPACE) and all(c[n] in SPACE[n] for n in SPACE)
               for c in children)
    # every option of every decision is drawn, the parent's included
    assert all({c[n] for c in children} == set(SPACE[n]) for n in SPACE)


def test_crossover_takes_each_decision_from_one_parent():
    rng = random.Random(0)
    assert UniformCrossover(0.0)(FIRST, SECOND, SPACE, rng) == FIRST
    assert UniformCrossover(1.0)(FIRST, SECOND, SPACE, rng) == SECOND
    mixed = [UniformCrossover()(FIRST, SECOND, SPACE, rng)
             for _ in range(100)]
    assert all(c[n] in (FIRST[n], SECOND[n]) for c in mixed for n in SPACE)
    assert len({tuple(c.values()) for c in mixed}) == 8  # all 2^3 mixes


def test_seeded_operators_repeat():
    def children(seed):
        rng = random.Random(seed)
        return [UniformMutation(0.5)(FIRST, SPACE, rng) for _ in range(5)] \
            + [UniformCrossover()(FIRST, SECOND, SPACE, rng)
               for _ in range(5)]

    assert children(3) == children(3)
    assert children(3) != children(4)


@pytest.mark.parametrize('cfg,message', [
    (dict(type='UniformMutation', prob=2),
     'train_cfg.mutation: prob must be in [0, 1], got 2'),
    (dict(type='UniformMutation', prb=0.2),
     "train_cfg.mutation.prb: unknown argument 'prb' of gml.UniformMutation;"
     " did you mean 'prob'?"),
    (dict(type='UniformMutaton'),
     "train_cfg.mutation.type: 'UniformMutaton' is not a registered"),
    (dict(prob=0.2), 'train_cfg.mutation: no type given'),
])
def test_bad_operator_config_is_one_line_naming_the_key(cfg, message):
    with pytest.raises(ConfigError) as e:
        build_strategy(cfg, dict(type='UniformMutation'),
                        'train_cfg.mutation')
    assert str(e.value).startswith(message)
    assert '\n' not in str(e.value)


def test_mutate_prob_is_the_default_mutation_and_not_both():
    mutation, crossover = variation_operators(0.3, None, None)
    assert (mutation.prob, crossover.swapping_prob) == (0.3, 0.5)
    assert variation_operators(None, None, None)[0].prob == 0.1
    with pytest.raises(ConfigError, match='train_cfg.mutate_prob and '
                       'train_cfg.mutation are both set'):
        variation_operators(0.3, dict(type='UniformMutation'), None)
    with pytest.raises(ConfigError,
                       match=r'train_cfg.mutate_prob must be in \[0, 1\]'):
        variation_operators(1.5, None, None)


@TASK_UTILS.register_module()
class _CountingMutation(UniformMutation):
    """UniformMutation that counts its calls (a user's own operator).

    Args:
        prob: as :class:`UniformMutation`.
    """
    calls = 0

    def __call__(self, parent, space, rng):
        type(self).calls += 1
        return super().__call__(parent, space, rng)


def test_search_loop_takes_its_operators_from_the_config(tmp_path):
    import torch

    from tests.data.tiny_supernet import build_tiny_supernet
    from tests.test_engine.test_loops.test_search_loop_scoring import search
    torch.manual_seed(3)
    ckpt = str(tmp_path / 'supernet.pth')
    torch.save({'state_dict': build_tiny_supernet().state_dict(),
                'meta': {}}, ckpt)

    def records(name, **train_cfg):
        search(ckpt, tmp_path / name, **train_cfg)
        with open(tmp_path / name / 'search_state.json') as f:
            return json.load(f)['records']

    default = records('default')  # the tiny config sets mutate_prob=0.3
    explicit = records('explicit', mutate_prob=None,
                       mutation=dict(type='UniformMutation', prob=0.3),
                       crossover=dict(type='UniformCrossover',
                                      swapping_prob=0.5))
    assert explicit == default  # the keys build what the defaults build
    assert any(r['origin'] == 'mutation' for r in default)

    _CountingMutation.calls = 0
    own = records('own', mutate_prob=None,
                  mutation=dict(type='_CountingMutation', prob=1.0))
    assert _CountingMutation.calls >= 1
    assert own != default
