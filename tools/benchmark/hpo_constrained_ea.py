"""Constrained EA + Hyperband against EA alone and the random baseline.

Runs ``demo/hpo/search_ea_hyperband.yaml`` (evolution under a parameter
budget, Hyperband early stopping), the same without early stopping, and
``demo/hpo/search_random_baseline.yaml`` through ``search-run`` for each
seed, and prints from each task's ``best.yaml`` the best feasible validation
accuracy, with the jobs that met the constraint and the epochs spent.

    python tools/benchmark/hpo_constrained_ea.py [--seeds 0 1 2]
"""
import argparse
import copy
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
sys.path.insert(0, REPO)
from gml.hpo.rewards import read_history  # noqa: E402


def _load(name):
    with open(os.path.join(DEMO, name)) as f:
        return yaml.safe_load(f)


def methods():
    ea_hb = _load('search_ea_hyperband.yaml')
    ea = copy.deepcopy(ea_hb)
    for key in ('early_stop', 'sync_reports'):
        ea['search'].pop(key)
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
    feasible, epochs = 0, 0
    all_dir = os.path.join(task, 'jobs', 'all')
    for job in os.listdir(all_dir):
        with open(os.path.join(all_dir, job, 'job.yaml')) as f:
            info = yaml.safe_load(f)
        feasible += bool(info.get('feasible'))
        acc = read_history(info['run_path'], info.get('created')).get('acc')
        epochs += max(acc) if acc else 0
    return best, feasible, len(os.listdir(all_dir)), epochs, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
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
                name = f'{method.replace("+", "-")}-s{seed}'
                rows.append((method, seed, *run_task(project, env, name,
                                                     cfg)))
    print('digits MLP, params <= 4000, 24 jobs of 9 epochs at most, '
          'concurrency 2')
    print(f'{"method":<13} {"seed":>4} {"best feasible acc":>18} '
          f'{"(hidden, lr)":>16} {"feasible/jobs":>13} {"epochs":>6} '
          f'{"wall s":>7}')
    for method, seed, best, feasible, jobs, epochs, wall in rows:
        acc = f'{best["reward"]:.2f}' if best['feasible'] else \
            f'none ({best["reward"]:.2f})'
        where = f'({best["params"]["hidden"]}, {best["params"]["lr"]:.3g})'
        print(f'{method:<13} {seed:>4} {acc:>18} {where:>16} '
              f'{f"{feasible}/{jobs}":>13} {epochs:>6} {wall:>7.1f}')


if __name__ == '__main__':
    main()
