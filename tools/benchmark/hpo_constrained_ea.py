"""Constrained EA + Hyperband against EA alone and the random baseline.

Runs ``demo/hpo/search_ea_hyperband.yaml`` (evolution under a parameter
budget, Hyperband early stopping), the same without early stopping, and
``demo/hpo/search_random_baseline.yaml`` through ``search-run`` for each
seed, and prints from each task's ``best.yaml`` the best feasible validation
accuracy, with the jobs that met the constraint and the epochs spent (from
``progress.csv``). Accuracy per unit of compute: ``to best`` is the epochs
a method had spent when it first reached its best feasible accuracy, and
``at EA+HB epochs`` the best feasible accuracy it had reached when it had
spent as many epochs as EA + Hyperband spent in all in the same seed.

Jobs run one at a time by default (``--concurrency 1``): the samplers then
see the same finished jobs in every run and the figures repeat exactly;
with 2 the order in which jobs end varies and so do the results.

    python tools/benchmark/hpo_constrained_ea.py [--seeds 0 1 2]
"""
import argparse
import copy
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEMO = os.path.join(REPO, 'demo', 'hpo')


def _load(name):
    with open(os.path.join(DEMO, name)) as f:
        return yaml.safe_load(f)


def methods():
    ea_hb = _load('search_ea_hyperband.yaml')
    ea = copy.deepcopy(ea_hb)
    # sync_reports stays: an infeasible job stops before its first epoch.
    ea['search'].pop('early_stop')
    return {'EA+Hyperband': ea_hb, 'EA': ea,
            'random': _load('search_random_baseline.yaml')}


def run_task(project, env, name, cfg):
    path = os.path.join(project, f'{name}.yaml')
    with open(path, 'w') as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, '-m', 'gml.hpo.cli', 'search-run',
                    '--task', name, path], cwd=project, env=env, check=True,
                   capture_output=True)
    wall = time.perf_counter() - t0
    task = os.path.join(project, '.search-run', 'tasks', name)
    with open(os.path.join(task, 'best.yaml')) as f:
        best = yaml.safe_load(f)
    with open(os.path.join(task, 'all_jobs.json')) as f:
        jobs = json.load(f)
    with open(os.path.join(task, 'progress.csv')) as f:
        progress = list(csv.DictReader(f))
    feasible = sum(bool(j.get('feasible')) for j in jobs)
    epochs = int(progress[-1]['total_steps']) if progress else 0
    return best, feasible, len(jobs), epochs, wall, progress


def to_best(progress):
    """Epochs spent when the final best feasible accuracy was reached."""
    final = progress[-1]['best_feasible'] if progress else ''
    for row in progress:
        if final and row['best_feasible'] == final:
            return row['total_steps']
    return '-'


def best_within(progress, epochs):
    """The best feasible accuracy once at most ``epochs`` were spent."""
    best = None
    for row in progress:
        if int(row['total_steps']) <= epochs and row['best_feasible']:
            best = float(row['best_feasible'])
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--max-jobs', type=int, default=48,
                        help='search.max_jobs (the yamls: 24)')
    parser.add_argument('--concurrency', type=int, default=1,
                        help='search.concurrency (the yamls: 2)')
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (REPO, os.environ.get('PYTHONPATH')) if p))
    rows = []
    with tempfile.TemporaryDirectory() as project:
        shutil.copy(os.path.join(DEMO, 'train_digits.py'), project)
        subprocess.run([sys.executable, '-m', 'gml.hpo.cli', 'search-init'],
                       cwd=project, env=env, check=True, capture_output=True)
        for seed in args.seeds:
            for method, cfg in methods().items():
                cfg['search']['seed'] = seed
                cfg['search'].update(max_jobs=args.max_jobs,
                                     concurrency=args.concurrency)
                name = f'{method.replace("+", "-")}-s{seed}'
                rows.append((method, seed, *run_task(project, env, name,
                                                     cfg)))
    print(f'digits MLP, params <= 4000, {args.max_jobs} jobs of 9 epochs at '
          f'most, concurrency {args.concurrency}')
    print(f'{"method":<13} {"seed":>4} {"best feasible acc":>18} '
          f'{"(hidden, lr)":>16} {"feasible/jobs":>13} {"epochs":>6} '
          f'{"to best":>7} {"at EA+HB epochs":>15} {"wall s":>7}')
    budget = {seed: epochs for method, seed, _, _, _, epochs, _, _ in rows
              if method == 'EA+Hyperband'}
    for method, seed, best, feasible, jobs, epochs, wall, progress in rows:
        acc = f'{best["reward"]:.2f}' if best['feasible'] else \
            f'none ({best["reward"]:.2f})'
        where = f'({best["params"]["hidden"]}, {best["params"]["lr"]:.3g})'
        within = best_within(progress, budget.get(seed, epochs))
        within = 'none' if within is None else f'{within:.2f}'
        print(f'{method:<13} {seed:>4} {acc:>18} {where:>16} '
              f'{f"{feasible}/{jobs}":>13} {epochs:>6} '
              f'{to_best(progress):>7} {within:>15} {wall:>7.1f}')


if __name__ == '__main__':
    main()
