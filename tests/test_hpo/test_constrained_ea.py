"""The constrained EA + Hyperband driver's parts: constraints judged at
report time and before launch, Hyperband ranking feasible jobs first,
``num_children``, ``default_config`` and the progress files."""
import csv
import json
import os
import time

import pytest

from gml.hpo.config import parse_search_config
from gml.hpo.errors import SearchError
from gml.hpo.schedulers import VIOLATING, build_pruner, build_sampler

from .helpers import hpo, job_infos, write_script, write_yaml

# params at step 0, then a long "training" (only a stopped job is quick)
SLOW_JOB = """\
import argparse, time
from gml.hpo import report
p = argparse.ArgumentParser()
p.add_argument('--hidden', type=int)
p.add_argument('--sleep', type=float)
a = p.parse_args()
report(params=a.hidden * 100.0, step=0)
time.sleep(a.sleep)
report(acc=float(a.hidden), step=1)
"""


def _space(values):
    return {'template': 'python job.py --hidden {hidden} --sleep {sleep}',
            'search_args': [
                {'type': 'Categorical', 'name': 'hidden', 'value': values},
                {'type': 'Categorical', 'name': 'sleep', 'value': [1]}]}


@pytest.fixture(scope='module')
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp('cea')
    write_script(root / 'job.py', SLOW_JOB)
    hpo(root, 'search-init', check=0)
    return root


def test_report_time_and_launch_constraints_stop_infeasible_jobs(project):
    # hidden 64: params 6400 > 4000, stopped at its step-0 report although
    # it would sleep 60 s; hidden 96: over the launch bound, never started
    choices = [{'hidden': 8, 'sleep': 0.5}, {'hidden': 64, 'sleep': 60},
               {'hidden': 96, 'sleep': 60}]
    write_yaml(project / 'r.yaml', {'task': {
        'template': 'python job.py --hidden {hidden} --sleep {sleep}',
        'search_args': [{'type': 'Nested', 'value': choices}]}, 'search': {
        'type': 'grid', 'concurrency': 3, 'reward_attribute': 'acc',
        'poll_interval': 0.05, 'sync_reports': True,
        'constraints': [{'scalar': 'params', 'max': 4000, 'check': 'report'},
                        {'param': 'hidden', 'max': 80}]}})
    t0 = time.monotonic()
    hpo(project, 'search-run', '--task', 'r', 'r.yaml', check=0)
    assert time.monotonic() - t0 < 30
    infos = {i['params']['hidden']: i for i in job_infos(project, 'r')
             .values()}
    over = infos[64]
    assert over['status'] == 'pruned' and over['stop_reason'] == \
        'infeasible' and over['feasible'] is False and over['steps'] == 0
    assert over['constraint_scalars'] == {'params': 6400.0, 'hidden': 64}
    never = infos[96]
    assert never['status'] == 'pruned' and never['stop_reason'] == \
        'infeasible' and never['feasible'] is False
    assert not os.path.exists(os.path.join(never['run_path'], 'log'))
    ok = infos[8]
    assert ok['status'] == 'finished' and ok['feasible'] and \
        ok['reward'] == 8.0
    # the default (check: end) judges the last value only: not stopped
    write_yaml(project / 'e.yaml', {'task': {
        'template': 'python job.py --hidden {hidden} --sleep {sleep}',
        'search_args': [{'type': 'Nested', 'value': [
            {'hidden': 64, 'sleep': 0.5}]}]}, 'search': {
        'reward_attribute': 'acc', 'poll_interval': 0.05,
        'constraints': [{'scalar': 'params', 'max': 4000}]}})
    hpo(project, 'search-run', '--task', 'e', 'e.yaml', check=0)
    (end, ) = job_infos(project, 'e').values()
    assert end['status'] == 'finished' and end['feasible'] is False


def test_default_config_first_and_progress_files(project):
    write_yaml(project / 'p.yaml', {'task': _space([8, 16, 24, 32, 64]),
                                    'search': {
        'type': 'random', 'max_jobs': 4, 'concurrency': 2, 'seed': 3,
        'reward_attribute': 'acc', 'poll_interval': 0.05,
        'sync_reports': True, 'default_config': {'hidden': 24, 'sleep': 1},
        'constraints': [{'scalar': 'params', 'max': 3000,
                         'check': 'report'}]}})
    hpo(project, 'search-run', '--task', 'p', 'p.yaml', check=0)
    infos = job_infos(project, 'p')
    assert infos['0']['params'] == {'hidden': 24, 'sleep': 1}
    task = project / '.search-run' / 'tasks' / 'p'
    with open(task / 'progress.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4
    assert [float(r['end_s']) for r in rows] == sorted(
        float(r['end_s']) for r in rows)
    best, total = None, 0
    for r in rows:
        info = infos[r['job']]
        total += int(r['steps'])
        assert int(r['total_steps']) == total
        assert int(r['steps']) == (1 if info['status'] == 'finished' else 0)
        if info['status'] == 'finished' and info['feasible']:
            best = max(best or 0, info['reward'])
        assert (float(r['best_feasible']) if r['best_feasible'] else None) \
            == best
    assert best == 24.0  # the only feasible width above 16 that can win
    jobs = json.loads((task / 'all_jobs.json').read_text())
    assert [j['name'] for j in jobs] == sorted(infos, key=int)
    assert all({'params', 'status', 'feasible', 'reward'} <= set(j)
               for j in jobs)
    assert (task / 'progress.png').read_bytes()[:4] == b'\x89PNG'


def _cfg(**search):
    return parse_search_config({
        'task': {'template': 'x {a} {b}', 'search_args': [
            {'type': 'Float', 'name': 'a', 'low': 0.0, 'high': 1.0},
            {'type': 'Int', 'name': 'b', 'low': 1, 'high': 9}]},
        'search': dict({'reward_attribute': 'acc', 'max_jobs': 30,
                        'type': 'evolution'}, **search)})


def _run_study(cfg, n):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction='maximize',
                                sampler=build_sampler(cfg))
    for _ in range(n):
        trial = study.ask(cfg.space.distributions())
        trial.set_user_attr('constraints', [trial.params['b'] - 6.0])
        study.tell(trial, trial.params['a'])
    key = type(study.sampler)._get_generation_key()
    gens = [t.system_attrs[key] for t in study.trials]
    return study, gens


def test_num_children_sets_the_generation_size():
    cfg = _cfg(population_size=6, num_children=2,
               constraints=[{'scalar': 'p', 'max': 1}])
    study, gens = _run_study(cfg, 14)
    # generation 0: the population; then num_children per generation
    assert gens == [0] * 6 + [1, 1, 2, 2, 3, 3, 4, 4]
    # the elite kept for breeding is population_size, feasible first
    parents = study.sampler.get_parent_population(study, 4)
    assert len(parents) == 6
    feasible = [t for t in study.trials[:12] if t.params['b'] <= 6]
    assert sum(t.params['b'] <= 6 for t in parents) == min(6, len(feasible))
    # without num_children: Optuna's NSGA-II as before
    _, gens = _run_study(_cfg(population_size=4), 10)
    assert gens == [0] * 4 + [1] * 4 + [2] * 2


def test_feasible_first_pruner_stops_the_infeasible_leader():
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def verdicts(**early_stop):
        cfg = _cfg(constraints=[{'scalar': 'p', 'max': 1}],
                   early_stop=dict(type='asha', min_resource=1,
                                   reduction_factor=2, **early_stop))
        study = optuna.create_study(direction='maximize',
                                    pruner=build_pruner(cfg))
        out = []
        for value, violating in ((0.5, False), (0.9, True), (0.6, False)):
            trial = study.ask()
            if violating:
                trial.set_user_attr(VIOLATING, True)
            trial.report(value, 1)
            out.append(trial.should_prune())
        return out

    # the infeasible 0.9 would lead the rung; ranked last, it is stopped
    assert verdicts() == [False, True, False]
    assert verdicts(feasible_first=False) == [False, False, True]


@pytest.mark.parametrize('search, message', [
    ({'num_children': 2, 'type': 'tpe'},
     'search.num_children: only type evolution has children'),
    ({'num_children': 0}, 'search.num_children: got 0; expected an int >= 1'),
    ({'default_config': {'a': 0.5}},
     "search.default_config: got ['a']; expected a value for each search "
     "argument ['a', 'b']"),
    ({'default_config': {'a': 0.5, 'b': 12}},
     'search.default_config.b: 12 is outside the search argument'),
    ({'default_config': {'a': 0.5, 'b': 2}, 'type': 'grid'},
     'search.default_config: type grid runs every configuration already'),
    ({'constraints': [{'scalar': 'p', 'max': 1, 'check': 'now'}]},
     "search.constraints[0].check: got 'now'; expected end"),
    ({'constraints': [{'param': 'c', 'max': 1}]},
     "search.constraints[0].param: 'c' is not a search argument"),
    ({'constraints': [{'param': 'a', 'max': 1, 'check': 'report'}]},
     'search.constraints[0]: expected param plus numeric min and/or max'),
    ({'early_stop': {'type': 'asha', 'feasible_first': 'yes'}},
     "search.early_stop.feasible_first: got 'yes'; expected true or false"),
])
def test_new_keys_are_validated(search, message):
    with pytest.raises(SearchError) as e:
        _cfg(**search)
    assert message in str(e.value), str(e.value)
