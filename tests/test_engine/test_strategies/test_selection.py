"""Parent selection strategies of the evolutionary searches."""
import random
from collections import Counter

import pytest

from gml.engine.strategies.selection import (NSGA2TournamentSelection,
                                         UniformTopSelection)
from gml.engine.strategies.strategy import build_selection
from gml.registry import TASK_UTILS
from gml.utils.errors import ConfigError


def record(i, score, flops):
    return dict(id=i, score=score, flops_M=flops, subnet={'x': i})


# ids 0..5: scores with a tie (1 and 4), flops making a 2-objective front
RECORDS = [record(0, 70.0, 1.0), record(1, 90.0, 3.0), record(2, 80.0, 2.0),
           record(3, 60.0, 4.0), record(4, 90.0, 5.0), record(5, 85.0, 1.5)]


def test_uniform_top_ranks_by_score_ties_earliest_and_draws_evenly():
    sel = UniformTopSelection()
    parents = sel.parents(RECORDS, {'score': 'max'}, 3)
    assert parents == [{'x': 1}, {'x': 4}, {'x': 5}]
    rng = random.Random(0)
    counts = Counter(sel.pick(parents, rng)['x'] for _ in range(3000))
    assert set(counts) == {1, 4, 5}
    assert max(counts.values()) - min(counts.values()) < 200  # ~1000 each


def test_nsga2_parents_front_first_and_tournament_prefers_the_first():
    sel = NSGA2TournamentSelection()
    objectives = {'score': 'max', 'flops_M': 'min'}
    parents = sel.parents(RECORDS, objectives, 4)
    # the front (nothing beats them on both): 0, 5, 1; then, of the second
    # front (2, 4), the one crowding distance prefers
    assert {p['x'] for p in parents} == {0, 1, 2, 5}
    rng = random.Random(0)
    counts = Counter(id(sel.pick(parents, rng)) for _ in range(4000))
    firsts = [counts[id(p)] for p in parents]
    # P(the i-th of n wins a binary tournament) = ((n-i)^2-(n-i-1)^2)/n^2
    assert firsts == sorted(firsts, reverse=True)
    assert abs(firsts[0] / 4000 - 7 / 16) < 0.03
    assert abs(firsts[-1] / 4000 - 1 / 16) < 0.02


def test_a_single_objective_selection_is_refused_for_several():
    with pytest.raises(ConfigError) as e:
        build_selection(dict(type='UniformTopSelection'), {},
                        {'score': 'max', 'latency_ms': 'min'})
    assert str(e.value).startswith(
        "train_cfg.selection: UniformTopSelection ranks by one objective, "
        "got ['score', 'latency_ms']")
    assert build_selection(None, dict(type='NSGA2TournamentSelection'),
                           {'score': 'max'}).parents(
        RECORDS, {'score': 'max'}, 2) == [{'x': 1}, {'x': 4}]


@TASK_UTILS.register_module()
class _CountingSelection(UniformTopSelection):
    """UniformTopSelection that counts its draws (a user's own)."""
    picks = 0

    def pick(self, parents, rng):
        type(self).picks += 1
        return super().pick(parents, rng)


def test_search_loop_takes_its_selection_from_the_config(tmp_path):
    import torch

    from tests.data.tiny_supernet import build_tiny_supernet
    from tests.test_engine.test_loops.test_search_loop_scoring import search
    torch.manual_seed(3)
    ckpt = str(tmp_path / 'supernet.pth')
    torch.save({'state_dict': build_tiny_supernet().state_dict(),
                'meta': {}}, ckpt)
    default = search(ckpt, tmp_path / 'default').records
    _CountingSelection.picks = 0
    own = search(ckpt, tmp_path / 'own',
                 selection=dict(type='_CountingSelection')).records
    assert _CountingSelection.picks >= 2  # a mutant and a crossover
    assert own == default  # the same strategy under another name
