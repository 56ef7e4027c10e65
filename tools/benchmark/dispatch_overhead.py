"""Per-job cost of gml's two dispatch layers, on the local backend.

HPO runs a user's shell command per trial (``gml.hpo.launchers``: a bash
wrapper and an ``exit_code`` file); NAS runs a pickled Python callable per
chunk of candidates (``gml.engine.dispatch``: submitit). This runs the same
trivial job, the command ``true``, through both, one job at a time, in
interleaved rounds, and prints the median wall time from launch to the
collected exit code and the CPU time the job's processes used (this
process's reaped children, user + system):

- ``hpo``: ``LocalLauncher.start`` + ``poll`` until the exit code lands;
- ``submitit``: ``make_submitit_executor(folder, 'local')`` submitting
  ``subprocess.run(['true'])`` and ``job.result()``: the path an HPO job
  would take if HPO dispatched through the NAS layer.

    python tools/benchmark/dispatch_overhead.py [--jobs 10] [--rounds 3]
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, REPO)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(fn, *args):
    """(wall seconds, children's CPU seconds) of ``fn(*args)``."""
    cpu, start = children_cpu(), time.perf_counter()
    fn(*args)
    return time.perf_counter() - start, children_cpu() - cpu


def run_true() -> int:
    return subprocess.run(['true']).returncode


def hpo_job(launcher, task, name: str) -> None:
    from gml.hpo.store import Job
    job = Job(task, name)
    os.makedirs(job.path)
    info = launcher.start(job, 'true')
    while launcher.poll(job, info) is None:
        time.sleep(0.001)


def submitit_job(folder: str) -> None:
    from gml.engine.dispatch.submitit_jobs import (make_submitit_executor,
                                                   submit)
    executor = make_submitit_executor(folder, 'local', timeout_min=5)
    job = submit(executor, run_true)
    assert job.result() == 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--jobs', type=int, default=10,
                   help='jobs per layer per round')
    p.add_argument('--rounds', type=int, default=3)
    args = p.parse_args()
    from gml.hpo.launchers import LocalLauncher
    from gml.hpo.store import SearchRoot, Task
    launcher = LocalLauncher()
    times = {'hpo': [], 'submitit': []}
    with tempfile.TemporaryDirectory() as tmp:
        task = Task(SearchRoot.init(tmp), 'bench')
        n = 0
        for _ in range(args.rounds):  # interleaved: one of each in turn
            for _ in range(args.jobs):
                n += 1
                times['hpo'].append(timed(hpo_job, launcher, task, str(n)))
                times['submitit'].append(timed(
                    submitit_job, os.path.join(tmp, f'sub{n}')))
    print(f'local backend, command `true`, {args.rounds} interleaved rounds '
          f'x {args.jobs} jobs, one at a time; cpus: {os.cpu_count()}')
    print('| layer | wall ms per job: median (min-max) | CPU ms per job: '
          'median (min-max) |')
    print('|---|---|---|')
    med = {}
    for name, values in times.items():
        cols = []
        for i in (0, 1):
            ms = [v[i] * 1e3 for v in values]
            med[name, i] = statistics.median(ms)
            cols.append(f'{med[name, i]:.1f} ({min(ms):.1f}-{max(ms):.1f})')
        print(f'| {name} | {cols[0]} | {cols[1]} |')
    print(f'submitit / hpo: wall {med["submitit", 0] / med["hpo", 0]:.0f}x, '
          f'CPU {med["submitit", 1] / max(med["hpo", 1], 1e-3):.0f}x')


if __name__ == '__main__':
    main()
