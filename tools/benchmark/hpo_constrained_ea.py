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

    python tools/benchmark/hpo_constrained_ea.py [--seeds 0 1 2] \
        [--dataset digits|fashion_mnist] [--no-plain-ea] [--max-jobs N]

``--dataset fashion_mnist`` runs ``train_fashion_mnist.py`` (PyTorch's
mnist.py CNN on Fashion-MNIST) under the published "< 100 K params" budget;
the ``after N jobs`` columns give the best feasible accuracy against the
number of jobs ended.
"""
import argparse
import copy
import csv
import json
import os
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


#: dataset -> (EA + Hyperband yaml, random yaml, job script, what it is)
DATASETS = {
    'digits': ('search_ea_hyperband.yaml', 'search_random_baseline.yaml',
               'train_digits.py', 'digits MLP, params <= 4000'),
    'fashion_mnist': ('search_ea_hyperband_fashion_mnist.yaml',
                      'search_random_fashion_mnist.yaml',
                      'train_fashion_mnist.py',
                      "Fashion-MNIST mnist.py CNN (5,000 training images, "
                      "val 5,000), params <= 100,000"),
}


def methods(dataset='digits', with_plain_ea=True):
    ea_file, random_file, script, _ = DATASETS[dataset]
    ea_hb = _load(ea_file)
    found = {'EA+Hyperband': ea_hb}
    if with_plain_ea:
        ea = copy.deepcopy(ea_hb)
        # sync_reports stays: an infeasible job stops before its first epoch.
        ea['search'].pop('early_stop')
        found['EA'] = ea
    found['random'] = _load(random_file)
    for cfg in found.values():  # the script where it is: it finds its data
        cfg['task']['template'] = cfg['task']['template'].replace(
            f'python {script}', f'python {os.path.join(DEMO, script)}')
    return found


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
    best = None  # no job finished (e.g. every one infeasible)
    if os.path.exists(os.path.join(task, 'best.yaml')):
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


def best_within(progress, limit, column='total_steps'):
    """The best feasible accuracy while ``column`` (epochs spent, or
    ``jobs_done``) was at most ``limit``."""
    best = None
    for row in progress:
        if int(row[column]) <= limit and row['best_feasible']:
            best = float(row['best_feasible'])
    return best


def args_of(dataset):
    """The searched arguments' names, in the yaml's order."""
    cfg = _load(DATASETS[dataset][0])
    return [a['name'] for a in cfg['task']['search_args']]


def best_after(progress, jobs):
    """The best feasible accuracy once ``jobs`` jobs had ended, printed."""
    best = best_within(progress, jobs, 'jobs_done')
    return '-' if best is None else f'{best:.2f}'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--dataset', choices=sorted(DATASETS),
                        default='digits')
    parser.add_argument('--no-plain-ea', action='store_true',
                        help='EA + Hyperband and random only')
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
        subprocess.run([sys.executable, '-m', 'gml.hpo.cli', 'search-init'],
                       cwd=project, env=env, check=True, capture_output=True)
        for seed in args.seeds:
            for method, cfg in methods(args.dataset,
                                       not args.no_plain_ea).items():
                cfg['search']['seed'] = seed
                cfg['search'].update(max_jobs=args.max_jobs,
                                     concurrency=args.concurrency)
                name = f'{method.replace("+", "-")}-s{seed}'
                rows.append((method, seed, *run_task(project, env, name,
                                                     cfg)))
    marks = sorted({max(1, args.max_jobs // 4), max(1, args.max_jobs // 2),
                    args.max_jobs})
    names = '(' + ', '.join(args_of(args.dataset)) + ')'
    print(f'{DATASETS[args.dataset][3]}, {args.max_jobs} jobs at most, '
          f'concurrency {args.concurrency}')
    print(f'{"method":<13} {"seed":>4} {"best feasible acc":>18} '
          f'{names:>16} {"feasible/jobs":>13} {"epochs":>6} '
          f'{"to best":>7} {"at EA+HB epochs":>15} {"wall s":>7} '
          + ' '.join(f'{f"after {m} jobs":>13}' for m in marks))
    budget = {seed: epochs for method, seed, _, _, _, epochs, _, _ in rows
              if method == 'EA+Hyperband'}
    for method, seed, best, feasible, jobs, epochs, wall, progress in rows:
        if best is None:
            acc, where = 'no job ended', '-'
        else:
            acc = f'{best["reward"]:.2f}' if best['feasible'] else \
                f'none ({best["reward"]:.2f})'
            where = '(' + ', '.join(
                f'{v:.3g}' if isinstance(v, float) else str(v)
                for v in best['params'].values()) + ')'
        within = best_within(progress, budget.get(seed, epochs))
        within = 'none' if within is None else f'{within:.2f}'
        print(f'{method:<13} {seed:>4} {acc:>18} {where:>16} '
              f'{f"{feasible}/{jobs}":>13} {epochs:>6} '
              f'{to_best(progress):>7} {within:>15} {wall:>7.1f} '
              + ' '.join(f'{best_after(progress, m):>13}' for m in marks))


if __name__ == '__main__':
    main()
