"""The scikit-learn predictors: encoding, determinism, error metrics."""
import random

import numpy as np
import pytest

from gml.engine.estimators.predictors import (SubnetPredictors, build_regressor,
                                          prediction_errors)
from gml.config.overrides import ConfigError

SPACE = {f'b{i}': ['k3', 'k5', 'k7', 'x'] for i in range(6)}


def records(n, seed=0):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        s = {b: rng.choice(c) for b, c in SPACE.items()}
        # a score that the encoding explains: bigger kernels score higher
        score = sum({'k3': 1, 'k5': 2, 'k7': 3, 'x': 0}[c] for c in
                    s.values()) + rng.random() * 0.1
        out.append(dict(id=i, subnet=s, score=score))
    return out


def test_predictor_learns_ranks_and_refits_identically():
    train, test = records(60, 0), records(20, 1)
    p = SubnetPredictors(SPACE, dict(score=dict(type='RandomForestRegressor',
                                                n_estimators=30)), seed=3)
    assert p.encode([train[0]['subnet']]).shape == (1, 24)  # one-hot
    p.fit(train, generation=2)
    pred = p.predict([r['subnet'] for r in test])['score']
    err = prediction_errors(pred, [r['score'] for r in test])
    assert err['n'] == 20 and err['spearman'] > 0.6
    # a refit with the same records, seed and generation is the same model
    q = SubnetPredictors(SPACE, dict(score=dict(type='RandomForestRegressor',
                                                n_estimators=30)), seed=3)
    q.fit(train, generation=2)
    np.testing.assert_array_equal(
        pred, q.predict([r['subnet'] for r in test])['score'])


def test_errors_and_bad_regressors():
    e = prediction_errors([1, 2, 3], [2, 4, 6])
    assert e['mae'] == pytest.approx(2.0) and e['spearman'] == 1.0
    assert np.isnan(prediction_errors([1, 1], [1, 2])['spearman'])
    assert build_regressor(dict(type='sklearn.svm.SVR', C=2.0), 0,
                           'x').C == 2.0
    assert build_regressor(dict(type='RandomForestRegressor'), 7,
                           'x').random_state == 7
    with pytest.raises(ConfigError, match='models.score.type: .Nope. is '
                       'not a scikit-learn regressor'):
        build_regressor(dict(type='Nope'), 0, 'train_cfg.predictor.models.'
                        'score')
    with pytest.raises(ConfigError, match='not a scikit-learn regressor'):
        build_regressor(dict(type='OneHotEncoder'), 0, 'x')
    with pytest.raises(ConfigError, match='unexpected keyword'):
        build_regressor(dict(type='SVR', foo=1), 0, 'x')
