"""ParetoSearchLoop in process on a tiny supernet: the front, its yamls,
predictor screening, resume."""
import csv
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from gml.engine.loops.base_search_loop import SearchError
from gml.engine.runner import build_runner
from gml.structures import load_subnet
from gml.config.overrides import ConfigError
from tests.test_engine.pareto_helpers import (base_cfg, dataloader,
                                              run_search,
                                              saved_weights_top1, shared_lut)

OBJECTIVES = dict(score='max', latency_ms='min', flops_M='min')
PREDICTOR = dict(models=dict(score=dict(type='RandomForestRegressor',
                                        n_estimators=20)),
                 pool_factor=3, min_records=4)


@pytest.fixture(scope='module')
def lut(tmp_path_factory):
    # one thread while this module's searches run: the table records the
    # thread count and every search must match it
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield shared_lut(str(tmp_path_factory.mktemp('lut') / 'lut.json'),
                     warmup=2, repeats=3, rounds=2, calibrate_subnets=2,
                     check_subnets=0)
    torch.set_num_threads(threads)


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def layers(row):
    return {k: v for k, v in row.items() if k.startswith('backbone.')}


def dominated(a, b, objectives):
    """b dominates a, written out plainly on the CSV rows."""
    def better_or_eq(k, d):
        return (float(b[k]) >= float(a[k]) if d == 'max'
                else float(b[k]) <= float(a[k]))
    return (all(better_or_eq(k, d) for k, d in objectives.items())
            and any(float(b[k]) != float(a[k]) for k in objectives))


def check_front(wd, objectives):
    """pareto_front.csv and its yamls are exactly the non-dominated rows
    of candidates.csv."""
    rows = read_csv(wd / 'candidates.csv')
    expected = {r['id'] for r in rows
                if not any(dominated(r, o, objectives) for o in rows)}
    front = read_csv(wd / 'pareto_front.csv')
    assert {r['id'] for r in front} == expected
    assert front == [r for r in rows if r['id'] in expected]  # same columns
    yamls = sorted((wd / 'pareto_front').glob('candidate_*.yaml'))
    assert sorted(p.stem.split('_')[1] for p in yamls) == sorted(expected)
    return rows, yamls


def test_front_is_the_non_dominated_set_and_its_yamls_retrain(lut,
                                                              tmp_path):
    wd = tmp_path / 'search'
    objectives = dict(score='max', latency_ms='min')  # a small front
    run_search(wd, max_epochs=2, num_candidates=5, objectives=objectives,
               latency=dict(lut_file=lut), save_weights=True)
    rows, yamls = check_front(wd, objectives)
    assert len(rows) == 10 and all(r['latency_ms'] for r in rows)
    assert len(list((wd / 'plots').glob('pareto_gen_*.png'))) == 2
    by_id = {r['id']: r for r in rows}
    for path in yamls:
        cid = path.stem.split('_')[1]
        subnet = load_subnet(str(path))
        assert subnet == layers(by_id[cid])
        # save_weights: the subnet config loads the front member's weights
        # strictly and validates to the score the search recorded
        assert saved_weights_top1(path, path.with_suffix('.pth'),
                                  tmp_path / f'test_{cid}') == \
            pytest.approx(float(by_id[cid]['score']))
        retrain(path, tmp_path / f'retrain_{cid}',
                float(by_id[cid]['params_M']))


def retrain(yaml_path, work_dir, params_m):
    """A few SGD steps of the subnet built from the yaml as a retraining
    config builds it (algorithm.mutable_cfg)."""
    cfg = base_cfg(work_dir, train_cfg=dict(by_epoch=True, max_epochs=1),
                   train_dataloader=dataloader('train', 16),
                   val_cfg=None, val_dataloader=None, val_evaluator=None)
    cfg['model']['mutable_cfg'] = str(yaml_path)
    runner = build_runner(Config(cfg))
    model = runner.model
    n_params = sum(p.numel() for p in model.architecture.parameters())
    assert n_params / 1e6 == pytest.approx(params_m, abs=1e-6)
    before = [p.detach().clone() for p in model.parameters()]
    runner.train()
    assert any(not torch.equal(a, b)
               for a, b in zip(before, model.parameters()))


def test_screening_keeps_the_budget_and_resume_is_exact(lut, tmp_path):
    kw = dict(objectives=OBJECTIVES, latency=dict(lut_file=lut),
              predictor=PREDICTOR, num_candidates=4)
    full = run_search(tmp_path / 'full', max_epochs=4, **kw)
    rows, _ = check_front(tmp_path / 'full', OBJECTIVES)
    # the budget: exactly max_epochs x num_candidates scored, none twice
    assert len(rows) == 16 == len(full.records)
    keys = [tuple(layers(r).values()) for r in rows]
    assert len(set(keys)) == 16
    # generations 1-3 were screened out of 3x as many offspring; each
    # scored candidate carries its prediction, and the log its accuracy
    log = read_csv(tmp_path / 'full' / 'predictors.csv')
    assert [int(r['generation']) for r in log] == [1, 2, 3]
    assert all(int(r['pool']) == 12 and int(r['n']) == 4 for r in log)
    assert [int(r['fitted_on']) for r in log] == [4, 8, 12]
    assert all(r['predicted_score'] == '' for r in rows[:4])
    assert all(r['predicted_score'] != '' for r in rows[4:])
    for row in log:
        gen = [r for r in rows if r['generation'] == row['generation']]
        mae = sum(abs(float(r['score']) - float(r['predicted_score']))
                  for r in gen) / len(gen)
        assert float(row['mae']) == pytest.approx(mae)
    # each generation's fitted predictors are kept and predict what the
    # candidates record
    from gml.engine.estimators.predictors import SubnetPredictors
    for g in (1, 2, 3):
        saved = SubnetPredictors.load(str(
            tmp_path / 'full' / 'predictors' / f'generation_{g}.joblib'))
        gen = [r for r in rows if int(r['generation']) == g]
        got = saved.predict([layers(r) for r in gen])['score']
        assert got == pytest.approx([float(r['predicted_score'])
                                     for r in gen], abs=1e-3)

    # "killed" after two generations, then resumed to four
    run_search(tmp_path / 'part', max_epochs=2, **kw)
    resumed = run_search(tmp_path / 'part', max_epochs=4, resume=True, **kw)
    assert resumed.records == full.records
    for name in ('candidates.csv', 'pareto_front.csv', 'predictors.csv'):
        assert ((tmp_path / 'part' / name).read_text()
                == (tmp_path / 'full' / name).read_text()), name
    a, b = (json.loads((tmp_path / d / 'search_state.json').read_text())
            for d in ('full', 'part'))
    assert a == b
    assert sorted(p.name for p in (tmp_path / 'part' / 'pareto_front'
                                   ).iterdir()) == sorted(
        p.name for p in (tmp_path / 'full' / 'pareto_front').iterdir())

    # resuming under other objectives or another latency table is refused
    with pytest.raises(Exception, match='objectives'):
        run_search(tmp_path / 'part', max_epochs=5, resume=True,
                   **dict(kw, objectives=dict(score='max', flops_M='min')))


@pytest.mark.parametrize('bad, match', [
    (dict(objectives=dict(score='max')), 'two or more'),
    (dict(objectives=dict(score='max', speed='min')), 'two or more'),
    (dict(objectives=dict(score='up', flops_M='min')), "'max' or 'min'"),
    (dict(predictor=dict(models=dict(flops_M=dict(type='SVR')))),
     'must predict the score'),
    (dict(latency=dict(batch=4)), r"unknown keys \['batch'\]"),
    (dict(train_time=dict(batch=4)), r"train_cfg.train_time: unknown keys"),
    (dict(latency=dict(runtime='tensorrt')),
     r"train_cfg.latency.runtime: got 'tensorrt'; expected one of"),
])
def test_bad_config_is_one_clear_error(tmp_path, bad, match):
    with pytest.raises(ConfigError, match=match):
        run_search(tmp_path, **bad)


def test_no_new_subnet_within_the_limits_is_one_clear_error(lut, tmp_path):
    # generation 1: nothing at all within the limits
    with pytest.raises(SearchError, match=r'generation 0: no new subnet '
                       r'within flops_range=\(-inf, 0\.1\) MFLOPs, '
                       r'params_range=\(-inf, inf\) M, latency_range='):
        run_search(tmp_path / 'none', flops_range=[None, 0.1],
                   latency=dict(lut_file=lut))
    # 4 of the 256 subnets are under 0.229 MFLOPs: generation 1 takes them,
    # generation 2 breeds (then samples) nothing new
    with pytest.raises(SearchError, match=r'generation 1: no new subnet '
                       r'within flops_range=\(-inf, 0\.229\) MFLOPs, '
                       r'params_range=\(-inf, inf\) M found in 1000 trials '
                       r'\(evaluated so far: 4 of 256\)'):
        run_search(tmp_path / 'few', flops_range=[None, 0.229],
                   objectives=dict(score='max', flops_M='min'))


def test_outputs_written_where_documented(lut, tmp_path):
    # the space spans ~0.237-0.287 MFLOPs: the hard limit still holds
    loop = run_search(tmp_path, max_epochs=2, num_candidates=3,
                      objectives=dict(score='max', flops_M='min'),
                      flops_range=[None, 0.25])
    rows = read_csv(tmp_path / 'candidates.csv')
    assert len(rows) == 6 and all(float(r['flops_M']) <= 0.25 for r in rows)
    # no latency objective, no latency table: no latency column
    assert 'latency_ms' not in rows[0]
    assert loop.latency_table is None
    for name in ('best_subnet.yaml', 'pareto_front.csv', 'search_state.json',
                 'plots/pareto_gen_000.png'):
        assert osp.isfile(tmp_path / name), name


def test_training_time_objective(tmp_path):
    """``train_ms`` (POPNAS's training-time objective) comes from its own
    per-op table of training steps and is on every record and the front."""
    wd = tmp_path / 'search'
    run_search(wd, max_epochs=2, num_candidates=4,
               objectives=dict(score='max', train_ms='min'),
               train_time=dict(batch_size=8, warmup=1, repeats=2, rounds=2,
                               calibrate_subnets=1, check_subnets=1))
    rows = read_csv(wd / 'candidates.csv')
    assert len(rows) == 8 and all(float(r['train_ms']) > 0 for r in rows)
    assert 'latency_ms' not in rows[0]
    table = json.loads((wd / 'train_time_lut.json').read_text())
    assert table['meta']['mode'] == 'train' and table['meta'][
        'batch_size'] == 8
    from gml.engine.estimators.latency import LatencyTable
    lut = LatencyTable.from_dict(table)
    for r in rows:
        assert float(r['train_ms']) == pytest.approx(
            lut.predict(layers(r)), abs=1e-6)
    front = read_csv(wd / 'pareto_front.csv')
    assert front and all('train_ms' in r for r in front)
