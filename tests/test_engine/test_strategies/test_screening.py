"""Predictor screening (POPNAS) as a strategy object: when it screens, how
large a pool it asks for, its one-line errors, and that the Pareto loop
calls the one its config names."""
import pytest

from gml.engine.strategies.screening import PredictorScreening, build_screening
from gml.registry import TASK_UTILS
from gml.utils.errors import ConfigError

from ..pareto_helpers import run_search

OBJECTIVES = dict(score='max', flops_M='min')


def test_screens_once_enough_records_and_asks_for_a_larger_pool():
    default = PredictorScreening()
    assert default.objectives == ['score'] and default.pool_factor == 4
    assert not default.active(7, num_candidates=8)
    assert default.active(8, num_candidates=8)  # min_records: a generation
    early = PredictorScreening(pool_factor=3, min_records=2)
    assert early.active(2, num_candidates=8)
    assert early.pool_size(8) == 24


@pytest.mark.parametrize('cfg, message', [
    (dict(models=dict(flops_M=dict(type='SVR'))),
     r"^train_cfg.predictor.models: has \['flops_M'\]; it must predict the "
     'score'),
    (dict(pool_factor=0), r'^train_cfg.predictor.pool_factor must be >= 1, '
     'got 0$'),
    (dict(models=dict(score=dict(type='NoSuchRegressor'))),
     r'^train_cfg.predictor.models.score'),
    (dict(pool_factr=2), r"^train_cfg.predictor"),
])
def test_bad_settings_are_one_line_naming_the_key(cfg, message):
    with pytest.raises(ConfigError, match=message) as e:
        build_screening(cfg, OBJECTIVES, seed=0)
    assert '\n' not in str(e.value)


def test_no_predictor_means_no_screening():
    assert build_screening(None, OBJECTIVES, seed=0) is None


@TASK_UTILS.register_module()
class _CountingScreening(PredictorScreening):
    """PredictorScreening that counts its screenings (a user's own)."""
    calls = 0

    def screen(self, loop, pool):
        type(self).calls += 1
        return super().screen(loop, pool)


def test_pareto_loop_takes_its_screening_from_the_config(tmp_path):
    _CountingScreening.calls = 0
    loop = run_search(tmp_path, max_epochs=3, num_candidates=3,
                      objectives=OBJECTIVES,
                      predictor=dict(type='_CountingScreening', pool_factor=2,
                                     min_records=3,
                                     models=dict(score=dict(
                                         type='RandomForestRegressor',
                                         n_estimators=5))))
    assert isinstance(loop.screening, _CountingScreening)
    assert _CountingScreening.calls == 2  # generations 1 and 2
    assert [r['generation'] for r in loop.screening.log] == [1, 2]
    assert all('predicted_score' in r for r in loop.records[3:])
