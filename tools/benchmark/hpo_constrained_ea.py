"""Constrained EA + Hyperband against EA alone and the random baseline.

Runs ``demo/hpo/search_ea_hyperband.yaml`` (evolution under a parameter
budget, Hyperband early stopping), the same without early stopping, and
``demo/hpo/search_random_baseline.yaml`` through ``search-run`` for each
seed, and prints from each task's ``best.yaml`` the best feasible validation
accuracy, with the jobs that met the constraint and the epochs spent (from
``progress.csv``). ``at EA+HB epochs`` is the best feasible accuracy each
method had reached when it had spent as many epochs as EA + Hyperband spent
in the same seed (its ``progress.csv`` row with ``total_steps`` at most that):
accuracy per unit of compute.

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
    parser.add_argument('--max-jobs', type=int, default=None,
                        help='override search.max_jobs (the yamls: 24)')
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
                if args.max_jobs:
                    cfg['search']['max_jobs'] = args.max_jobs
                name = f'{method.replace("+", "-")}-s{seed}'
                rows.append((method, seed, *run_task(project, env, name,
                                                     cfg)))
    jobs = args.max_jobs or methods()['EA']['search']['max_jobs']
    print(f'digits MLP, params <= 4000, {jobs} jobs of 9 epochs at most, '
          'concurrency 2')
    print(f'{"method":<13} {"seed":>4} {"best feasible acc":>18} '
          f'{"(hidden, lr)":>16} {"feasible/jobs":>13} {"epochs":>6} '
          f'{"at EA+HB epochs":>15} {"wall s":>7}')
    budget = {seed: epochs for method, seed, _, _, _, epochs, _, _ in rows
              if method == 'EA+Hyperband'}
    for method, seed, best, feasible, jobs, epochs, wall, progress in rows:
        acc = f'{best["reward"]:.2f}' if best['feasible'] else \
            f'none ({best["reward"]:.2f})'
        where = f'({best["params"]["hidden"]}, {best["params"]["lr"]:.3g})'
        within = best_within(progress, budget.get(seed, epochs))
        within = 'none' if within is None else f'{within:.2f}'
        print(f'{method:<13} {seed:>4} {acc:>18} {where:>16} '
              f'{f"{feasible}/{jobs}":>13} {epochs:>6} {within:>15} '
              f'{wall:>7.1f}')


if __name__ == '__main__':
    main()
