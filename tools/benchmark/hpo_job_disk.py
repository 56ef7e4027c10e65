"""Disk used per search-run job when run from this repository's root.

Clones the repository's HEAD into a temporary folder, links the venv in as
``.venv`` (the development layout), then runs N trivial jobs through
``search-run`` once with the default copy mode (reflinks or hard links to
the task's snapshot) and once with ``--copy-mode copy`` (independent copies,
what every job cost before), and prints the disk each job adds.

    python tools/benchmark/hpo_job_disk.py [--jobs 20]

Disk is counted with ``du`` in one invocation over the snapshot and the job
folders, so a hard-linked file is counted once, where it was first seen.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def du_bytes(*paths):
    """Bytes on disk of each path, hard links counted once overall."""
    out = subprocess.run(['du', '-s', '-B1', *paths], capture_output=True,
                         text=True, check=True).stdout
    return [int(line.split()[0]) for line in out.splitlines()]


def run_task(project, env, name, jobs, extra):
    config = os.path.join(project, 'true.yaml')
    with open(config, 'w') as f:
        yaml.safe_dump({'task': {'template': 'true {i}', 'search_args': [
            {'type': 'Int', 'name': 'i', 'low': 0, 'high': jobs - 1}]},
            'search': {'concurrency': 2}}, f)
    out = subprocess.run([sys.executable, '-m', 'gml.hpo.cli', 'search-run',
                          '--task', name, *extra, config], cwd=project,
                         env=env, capture_output=True, text=True)
    if out.returncode != 0 or f'{jobs} finished' not in out.stdout:
        sys.exit(f'search-run failed: {out.stdout[-1000:]}{out.stderr}')
    copying = re.search(r'copying .*', out.stdout).group(0)
    task = os.path.join(project, '.search-run', 'tasks', name)
    snap, all_jobs = du_bytes(os.path.join(task, 'tmp'),
                              os.path.join(task, 'jobs', 'all'))
    return copying, snap, all_jobs / jobs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--jobs', type=int, default=20)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (REPO, os.environ.get('PYTHONPATH')) if p))
    with tempfile.TemporaryDirectory() as tmp:
        project = os.path.join(tmp, 'gml')
        subprocess.run(['git', 'clone', '-q', REPO, project], check=True)
        os.symlink(sys.prefix, os.path.join(project, '.venv'))
        subprocess.run([sys.executable, '-m', 'gml.hpo.cli', 'search-init'],
                       cwd=project, env=env, check=True,
                       capture_output=True)
        rows = [('default (auto)', *run_task(project, env, 'auto', args.jobs,
                                             [])),
                ('--copy-mode copy', *run_task(project, env, 'copy',
                                               args.jobs,
                                               ['--copy-mode', 'copy']))]
    print(f'repository HEAD of {REPO}, {args.jobs} jobs of `true` per mode')
    for mode, copying, snap, per_job in rows:
        print(f'{mode}: {copying}')
        print(f'  snapshot (once per task): {snap / 2**20:.2f} MiB; '
              f'disk per job: {per_job / 2**10:.0f} KiB')


if __name__ == '__main__':
    main()
