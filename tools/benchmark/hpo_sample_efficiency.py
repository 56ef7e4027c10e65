"""Sample efficiency of the HPO schedulers on the digits demo.

The compute (total training epochs) that grid, random, TPE and TPE with
Hyperband early stopping spend before one of their jobs reaches the best
final validation accuracy of the full grid, over several seeds. Every job
runs ``demo/hpo/train_digits.py`` through ``search-run`` (local backend);
a job's epochs are the steps it reported (a pruned job stops early).

    python tools/benchmark/hpo_sample_efficiency.py [--seeds 0 1 2]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from gml.hpo.rewards import read_history  # noqa: E402

EPOCHS = 9
SPACE = [
    {'type': 'Categorical', 'name': 'lr', 'value': [0.02, 0.1, 0.5, 2.0]},
    {'type': 'Categorical', 'name': 'batch-size', 'value': [16, 64, 256]},
    {'type': 'Categorical', 'name': 'gamma', 'value': [0.7, 0.95]},
]
GRID_SIZE = 24
METHODS = {
    'grid': {'type': 'grid'},
    'random': {'type': 'random'},
    'tpe': {'type': 'tpe'},
    'tpe+hyperband': {'type': 'tpe', 'sync_reports': True,
                      'early_stop': {'type': 'hyperband', 'min_resource': 1,
                                     'max_resource': EPOCHS,
                                     'reduction_factor': 3}},
}


def run_task(project, env, name, search):
    config = os.path.join(project, f'{name}.yaml')
    with open(config, 'w') as f:
        yaml.safe_dump({'task': {
            'template': 'python train_digits.py --lr {lr} --batch-size '
                        f'{{batch-size}} --gamma {{gamma}} --epochs {EPOCHS}',
            'search_args': SPACE},
            'search': dict(search, concurrency=2, reward_attribute='acc',
                           poll_interval=0.05)}, f)
    subprocess.run([sys.executable, '-m', 'gml.hpo.cli', 'search-run',
                    '--task', name, config], cwd=project, env=env,
                   check=True, capture_output=True)
    jobs = []
    all_dir = os.path.join(project, '.search-run', 'tasks', name, 'jobs',
                           'all')
    for job in os.listdir(all_dir):
        with open(os.path.join(all_dir, job, 'job.yaml')) as f:
            info = yaml.safe_load(f)
        acc = read_history(info['run_path']).get('acc', {})
        jobs.append({'end': info['end_time'], 'epochs': max(acc),
                     'final': acc[max(acc)], 'status': info['status']})
    return sorted(jobs, key=lambda j: j['end'])


def epochs_to_reach(jobs, target):
    spent = 0
    for job in jobs:
        spent += job['epochs']
        if job['status'] == 'finished' and job['final'] >= target - 1e-9:
            return spent
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--budget', type=int, default=2 * GRID_SIZE,
                        help='max_jobs of random and TPE (they may sample a '
                        'configuration twice)')
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (REPO, os.environ.get('PYTHONPATH')) if p))
    env['PATH'] = os.pathsep.join((os.path.dirname(sys.executable),
                                   env.get('PATH', '')))
    results = {m: [] for m in METHODS}
    with tempfile.TemporaryDirectory() as project:
        shutil.copy(os.path.join(REPO, 'demo', 'hpo', 'train_digits.py'),
                    project)
        subprocess.run([sys.executable, '-m', 'gml.hpo.cli', 'search-init'],
                       cwd=project, env=env, check=True, capture_output=True)
        runs = {}
        for seed in args.seeds:
            for method, search in METHODS.items():
                search = dict(search, seed=seed)
                if method != 'grid':
                    search['max_jobs'] = args.budget
                runs[method, seed] = run_task(
                    project, env, f'{method.replace("+", "-")}-s{seed}',
                    search)
        target = max(j['final'] for j in runs['grid', args.seeds[0]])
        for (method, seed), jobs in runs.items():
            results[method].append((epochs_to_reach(jobs, target),
                                    sum(j['epochs'] for j in jobs)))

    print(f'demo: digits MLP, {GRID_SIZE}-point space, {EPOCHS} epochs/job, '
          f'concurrency 2, random/TPE budget {args.budget} jobs; target = '
          f'grid best val acc {target:.2f}%')
    print(f'{"method":<15} ' + ' '.join(f'{"seed " + str(s):>14}'
                                        for s in args.seeds)
          + f' {"mean":>8}  (epochs to target / epochs spent in all)')
    for method, rows in results.items():
        cells = [f'{r if r is not None else "never":>6} / {total:<5}'
                 for r, total in rows]
        reached = [r for r, _ in rows if r is not None]
        mean = (f'{sum(reached) / len(reached):8.1f}' if len(reached) ==
                len(rows) else f'{len(reached)}/{len(rows)} hit')
        print(f'{method:<15} ' + ' '.join(f'{c:>14}' for c in cells)
              + f' {mean}')


if __name__ == '__main__':
    main()
