"""Launch overhead of search-run's local backend against ``xargs -P``.

Runs N jobs of ``true <i>`` (default 1,000) through ``search-run`` at
concurrency 2 in a fresh temporary project, then the same N command lines
through ``xargs -P 2``, and prints both wall times, their ratio and the
controller's overhead per job ((search-run - xargs) / N; target <= 20 ms).

    python tools/benchmark/hpo_launch_overhead.py [--jobs 1000]

What search-run adds per job: the job's copy of the (tiny) project, an
Optuna ask/tell on the task's study (journal written in batches), three
atomic job.yaml writes, tree links, and the job's bash wrapper with its
exit-code file. The controller's start (importing Optuna) is included.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--jobs', type=int, default=1000)
    parser.add_argument('--concurrency', type=int, default=2)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (REPO, os.environ.get('PYTHONPATH')) if p))
    with tempfile.TemporaryDirectory() as project:
        cli = [sys.executable, '-m', 'gml.hpo.cli']
        subprocess.run(cli + ['search-init'], cwd=project, env=env,
                       check=True, capture_output=True)
        config = os.path.join(project, 'true.yaml')
        with open(config, 'w') as f:
            yaml.safe_dump({
                'task': {'template': 'true {i}', 'search_args': [
                    {'type': 'Int', 'name': 'i', 'low': 0,
                     'high': args.jobs - 1}]},
                'search': {'concurrency': args.concurrency}}, f)
        t0 = time.perf_counter()
        out = subprocess.run(cli + ['search-run', config], cwd=project,
                             env=env, capture_output=True, text=True)
        hpo_s = time.perf_counter() - t0
        if out.returncode != 0 or f'{args.jobs} finished' not in out.stdout:
            sys.exit(f'search-run failed: {out.stderr[-2000:]}')

    lines = ''.join(f'true {i}\n' for i in range(args.jobs))
    t0 = time.perf_counter()
    # Each line through bash, as search-run runs each job's command.
    subprocess.run(['xargs', '-P', str(args.concurrency), '-I', 'CMD',
                    'bash', '-c', 'CMD'], input=lines, text=True, check=True)
    xargs_s = time.perf_counter() - t0

    print(f'jobs: {args.jobs} x `true`, concurrency {args.concurrency}, '
          f'{os.cpu_count()} CPUs')
    print(f'search-run (local backend): {hpo_s:.2f} s '
          f'({hpo_s / args.jobs * 1000:.1f} ms/job)')
    print(f'xargs -P {args.concurrency}: {xargs_s:.2f} s '
          f'({xargs_s / args.jobs * 1000:.2f} ms/job)')
    print(f'ratio search-run / xargs: {hpo_s / xargs_s:.1f}x')
    print(f'controller overhead per job: '
          f'{(hpo_s - xargs_s) / args.jobs * 1000:.1f} ms')


if __name__ == '__main__':
    main()
