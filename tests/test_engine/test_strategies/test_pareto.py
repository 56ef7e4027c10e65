"""gml.engine.strategies.pareto against Optuna's (private) NSGA-II helpers and
hand-computed cases."""
import itertools

import numpy as np
import pytest
from optuna._hypervolume import compute_hypervolume
from optuna.samplers.nsgaii._elite_population_selection_strategy import \
    _calc_crowding_distance
from optuna.study._multi_objective import _fast_non_domination_rank

from gml.engine.strategies.pareto import (crowding_distance, front_records,
                                      hypervolume, non_dominated_ranks,
                                      nsga2_order, pareto_mask, to_losses)


def brute_force_front(losses):
    n = len(losses)
    return np.array([
        not any(np.all(losses[j] <= losses[i]) and np.any(losses[j]
                                                         < losses[i])
                for j in range(n)) for i in range(n)])


@pytest.mark.parametrize('m', [2, 3, 4])
def test_ranks_match_optuna(m):
    rng = np.random.default_rng(m)
    for trial in range(20):
        # small integer grid: many ties and duplicates
        losses = rng.integers(0, 5, size=(30, m)).astype(float)
        ranks = non_dominated_ranks(losses)
        np.testing.assert_array_equal(ranks,
                                      _fast_non_domination_rank(losses))
        np.testing.assert_array_equal(pareto_mask(losses),
                                      brute_force_front(losses))


class _Trial:
    def __init__(self, number, values):
        self.number, self.values = number, list(values)


def test_crowding_distance_matches_optuna():
    rng = np.random.default_rng(0)
    for trial in range(20):
        # distinct values: with ties the neighbours (hence the distances)
        # depend on how a sort orders equal values
        losses = rng.random((12, 3))
        mine = crowding_distance(losses)
        theirs = _calc_crowding_distance(
            [_Trial(i, v) for i, v in enumerate(losses)])
        np.testing.assert_allclose(mine, [theirs[i] for i in range(12)])
    # hand-computed: extremes inf, middle (3-1)/4 + (4-0)/4... on a line
    d = crowding_distance(np.array([[0., 4.], [1., 3.], [3., 1.], [4., 0.]]))
    assert np.isinf(d[0]) and np.isinf(d[3])
    np.testing.assert_allclose(d[1:3], [3 / 4 + 3 / 4, 3 / 4 + 3 / 4])


@pytest.mark.parametrize('m', [2, 3, 4])
def test_hypervolume_matches_optuna(m):
    rng = np.random.default_rng(10 + m)
    for trial in range(10):
        losses = rng.random((15, m))
        ref = np.full(m, 1.1)
        assert hypervolume(losses, ref) == pytest.approx(
            compute_hypervolume(losses, ref), rel=1e-12)
    # hand-computed: two boxes of 2x1 and 1x2 overlapping in 1x1
    assert hypervolume([[1, 0], [0, 1]], [2, 2]) == pytest.approx(3.0)
    # points beyond the reference add nothing
    assert hypervolume([[3, 0]], [2, 2]) == 0.0
    # a dominated point adds nothing; a better front has more volume
    assert hypervolume([[1, 1], [1.5, 1.5]], [2, 2]) == pytest.approx(1.0)
    assert hypervolume([[0.5, 0.5]], [2, 2]) > hypervolume([[1, 1]], [2, 2])


def test_to_losses_directions_and_front_records():
    records = [dict(id=0, score=90, latency_ms=2.0),
               dict(id=1, score=80, latency_ms=1.0),
               dict(id=2, score=80, latency_ms=2.0),  # dominated by both
               dict(id=3, score=90, latency_ms=2.0)]  # ties id 0: kept
    objectives = dict(score='max', latency_ms='min')
    np.testing.assert_array_equal(to_losses(records, objectives)[0],
                                  [-90, 2.0])
    assert [r['id'] for r in front_records(records, objectives)] == [0, 1, 3]


def test_nsga2_order_front_first_extremes_first():
    losses = np.array([[0., 4.], [1., 3.], [2., 2.], [4., 0.], [5., 5.]])
    order = list(nsga2_order(losses))
    assert order[-1] == 4  # the only dominated point is last
    assert set(order[:2]) == {0, 3}  # the extremes (inf crowding) first
    for perm in itertools.islice(itertools.permutations(range(5)), 10):
        # the order is a function of the values, not their position
        p = list(perm)
        assert [p[i] for i in nsga2_order(losses[p])][:2] in ([0, 3],
                                                              [3, 0])
