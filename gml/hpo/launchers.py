"""Launch backends: local subprocesses, or Slurm batch jobs (``sbatch``).

Each job runs ``run.sh`` in its folder: the optional pre hook, the rendered
command in a subshell, the optional after hook, then the exit code written
atomically to ``exit_code``. The file (not a ``wait()``) is the source of
truth, so a restarted controller can still collect jobs that outlived the
previous one.

The job's environment is search-run's own, with the ``bin/`` folder of the
Python running search-run first on ``PATH`` (and ``VIRTUAL_ENV`` set when
that is a virtual environment): ``python`` in a template is the Python that
has gml, even when ``.venv/bin/search-run`` was called without activating
the environment.

Why HPO does not dispatch through the NAS executors
(:mod:`gml.engine.dispatch.executors`, submitit): the two payloads differ.
An HPO job is the user's shell command rendered from the seed's template
(any script, in any language, that must not import gml), whose only
contract with the controller is files in its folder: ``exit_code`` here and
the metrics the report API writes. Such a job outlives the controller
(``search-ctl stop`` leaves it to finish, ``resume`` collects it from its
files). A NAS job is a pickled Python callable over a chunk of candidates
whose results come back as Python objects through submitit. Putting the
shell job under submitit would wrap it in a Python process that pickles a
subprocess call and would make the job's liveness submitit's (its ``Popen``
or ``sacct``) instead of the job's own files; putting the callable under
these launchers would mean writing a pickle protocol of our own. What both
share is what they need from Slurm (``sbatch`` and ``squeue``), and a
reattach after a restart, each from its own journal.

Measured (``python tools/benchmark/dispatch_overhead.py``: the command
``true`` launched and collected 30 times through each layer's local
backend, interleaved, on a 2-core machine under load 2): this launcher
takes 10.6 ms wall and 4.1 ms of CPU per job; submitit's local executor,
the NAS path, takes 1,002 ms wall (its result polling) and 302 ms of CPU
(a Python interpreter that imports submitit and unpickles the call). HPO
launches thousands of short trials (``hpo_launch_overhead.py`` holds it to
20 ms per job), NAS a few chunks of minutes each, so each layer keeps the
protocol its payload needs.
"""
import os
import signal
import shlex
import subprocess
import sys
import time
from typing import List, Optional, Tuple

from .callbacks import script_parts
from .errors import SearchError
from .report import ENV_JOB_DIR, ENV_SYNC

_SCRIPT = """#!/bin/bash
# Written by gml.hpo: the job's command, then its exit code for the search.
echo $$ > started
{pre}(
{command}
)
rc=$?
{after}printf '%s\\n' "$rc" > exit_code.tmp && mv -f exit_code.tmp exit_code
exit $rc
"""


def write_job_script(job, command: str, hooks: Optional[dict] = None) -> str:
    path = os.path.join(job.path, 'run.sh')
    hooks = hooks or {}
    with open(path, 'w') as f:
        f.write(_SCRIPT.format(command=command, **script_parts(
            hooks.get('pre_callback'), hooks.get('after_callback'))))
    os.chmod(path, 0o755)
    return path


def search_run_env() -> dict:
    """search-run's environment with its interpreter's ``bin/`` first."""
    env = dict(os.environ)
    bin_dir = os.path.dirname(sys.executable)
    rest = [p for p in env.get('PATH', '').split(os.pathsep)
            if p and p != bin_dir]
    env['PATH'] = os.pathsep.join([bin_dir] + rest)
    if sys.prefix != sys.base_prefix:
        env['VIRTUAL_ENV'] = sys.prefix
    return env


def job_env(job, sync_timeout: float = 0, base: Optional[dict] = None
            ) -> dict:
    env = dict(base if base is not None else search_run_env())
    env[ENV_JOB_DIR] = job.path
    env.pop(ENV_SYNC, None)
    if sync_timeout:
        env[ENV_SYNC] = str(sync_timeout)
    env['GML_HPO_TASK'] = job.task.name
    env['GML_HPO_JOB'] = job.name
    return env


def _proc_start_ticks(pid: int) -> Optional[str]:
    """The process start time from /proc, to tell a pid from its reuse."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def pid_alive(pid: Optional[int], start_ticks: Optional[str]) -> bool:
    if not pid:
        return False
    ticks = _proc_start_ticks(pid)
    if ticks is None:
        return False
    if start_ticks is not None and ticks != str(start_ticks):
        return False
    try:
        with open(f'/proc/{pid}/stat') as f:  # a zombie has finished
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


class LocalLauncher:
    """A bounded pool of subprocesses, each in its own process group.

    Args:
        sync_timeout: seconds a job's ``report()`` waits for the pruner's
            verdict (0: it does not wait).
    """

    def __init__(self, sync_timeout: float = 0):
        self.sync_timeout = sync_timeout
        self.env = search_run_env()
        self.procs = {}  # job path -> Popen (only jobs this process started)

    def start(self, job, command: str, hooks: Optional[dict] = None) -> dict:
        script = write_job_script(job, command, hooks)
        with open(job.log, 'ab') as log:
            proc = subprocess.Popen(['bash', script], cwd=job.path,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL,
                                    env=job_env(job, self.sync_timeout,
                                                self.env),
                                    start_new_session=True)
        self.procs[job.path] = proc
        return {'pid': proc.pid, 'pgid': proc.pid,
                'pid_start': _proc_start_ticks(proc.pid)}

    def poll(self, job, info: dict) -> Optional[int]:
        """Exit code when the job ended, else None."""
        proc = self.procs.get(job.path)
        if proc is not None:
            rc = proc.poll()
            if rc is None:
                return None
            self.procs.pop(job.path)
            code = job.exit_code()
            return code if code is not None else _signal_code(rc)
        code = job.exit_code()  # a job adopted after a controller restart
        if code is not None:
            return code
        if pid_alive(info.get('pid'), info.get('pid_start')):
            return None
        time.sleep(0.05)  # the exit code may have landed just now
        code = job.exit_code()
        return code if code is not None else LOST

    def alive(self, job, info: dict) -> bool:
        return job.path in self.procs or pid_alive(info.get('pid'),
                                                   info.get('pid_start'))

    def find_started(self, job) -> Optional[dict]:
        """The handle of a job whose launch a killed controller never
        recorded, or None when it never started."""
        try:
            with open(os.path.join(job.path, 'started')) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return {'pid': pid, 'pgid': pid, 'pid_start': None}

    def kill(self, job, info: dict, grace: float = 3.0) -> None:
        self.kill_all([(job, info)], grace)

    def kill_all(self, items: List[Tuple[object, dict]],
                 grace: float = 3.0) -> None:
        """Stop the jobs' whole process groups: TERM to all at once, then
        KILL what is left after ``grace`` seconds."""
        items = [(job, info) for job, info in items
                 if info.get('pgid') and self.alive(job, info)]
        for _, info in items:
            _killpg(info['pgid'], signal.SIGTERM)
        deadline = time.time() + grace
        waiting = list(items)
        while waiting and time.time() < deadline:
            waiting = [(job, info) for job, info in waiting
                       if not self._gone(job, info)]
            if waiting:
                time.sleep(0.02)
        for job, info in items:
            _killpg(info['pgid'], signal.SIGKILL)  # children ignoring TERM
            proc = self.procs.pop(job.path, None)
            if proc is not None:
                proc.wait()

    def _gone(self, job, info) -> bool:
        proc = self.procs.get(job.path)
        if proc is not None:
            return proc.poll() is not None
        return not pid_alive(info.get('pid'), info.get('pid_start'))


def _killpg(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _signal_code(rc: int) -> int:
    # Popen reports death by signal N as -N; shells say 128+N.
    return 128 - rc if rc < 0 else rc


#: exit code recorded for a job whose process vanished without one.
LOST = -1


class SbatchLauncher:
    """Submit each job with ``sbatch``; ``scancel`` stops it.

    Args:
        sbatch_args: extra ``sbatch`` arguments (partition, gres...).
        sync_timeout: seconds a job's ``report()`` waits for the pruner's
            verdict (0: it does not wait).
    """

    def __init__(self, sbatch_args, sync_timeout: float = 0):
        self.sbatch_args = list(sbatch_args)
        self.sync_timeout = sync_timeout
        self.env = search_run_env()
        self._queue = None
        self._queue_time = 0.0

    def start(self, job, command: str, hooks: Optional[dict] = None) -> dict:
        script = write_job_script(job, command, hooks)
        cmd = ['sbatch', '--parsable', f'--job-name={_job_name(job)}',
               f'--chdir={job.path}', f'--output={job.log}',
               *self.sbatch_args, script]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True,
                                 env=job_env(job, self.sync_timeout,
                                             self.env),
                                 timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SearchError(f'sbatch failed for job {job.name}: {e}')
        if out.returncode != 0:
            raise SearchError(f'sbatch failed for job {job.name} '
                              f'({" ".join(map(shlex.quote, cmd))}): '
                              f'{out.stderr.strip()}')
        return {'slurm_job_id': out.stdout.strip().split(';')[0]}

    def _queued(self) -> set:
        # One squeue call per second at most, for all jobs together.
        if self._queue is None or time.time() - self._queue_time > 1.0:
            out = subprocess.run(['squeue', '-h', '-o', '%i'],
                                 capture_output=True, text=True, timeout=60)
            if out.returncode != 0:
                return self._queue or set()
            self._queue = set(out.stdout.split())
            self._queue_time = time.time()
        return self._queue

    def poll(self, job, info: dict) -> Optional[int]:
        code = job.exit_code()
        if code is not None:
            return code
        if info.get('slurm_job_id') in self._queued():
            return None
        self._queue = None  # refresh once before declaring it gone
        if info.get('slurm_job_id') in self._queued():
            return None
        code = job.exit_code()
        return code if code is not None else LOST

    def alive(self, job, info: dict) -> bool:
        return info.get('slurm_job_id') in self._queued()

    def find_started(self, job) -> Optional[dict]:
        out = subprocess.run(['squeue', '-h', '-o', '%i', '-n',
                              _job_name(job)], capture_output=True,
                             text=True, timeout=60)
        ids = out.stdout.split()
        if ids:
            return {'slurm_job_id': ids[0]}
        if os.path.exists(os.path.join(job.path, 'started')):
            return {'slurm_job_id': None}  # ran already; exit_code tells
        return None

    def kill(self, job, info: dict, grace: float = 3.0) -> None:
        self.kill_all([(job, info)], grace)

    def kill_all(self, items, grace: float = 3.0) -> None:
        ids = [str(info['slurm_job_id']) for _, info in items
               if info.get('slurm_job_id')]
        if ids:  # scancel sends TERM, then KILL after Slurm's KillWait
            subprocess.run(['scancel', *ids], capture_output=True,
                           timeout=60)
            self._queue = None


def _job_name(job) -> str:
    return f'gml-{job.task.name}-{job.name}'


def build_launcher(cfg):
    # Jobs wait for a verdict only when there is one: a pruner's, or that
    # of a constraint checked at report time.
    judged = cfg.early_stop['type'] != 'none' or any(
        c.get('check') == 'report' for c in cfg.constraints)
    sync = 60.0 if cfg.sync_reports and judged else 0
    if cfg.launcher == 'sbatch':
        return SbatchLauncher(cfg.sbatch_args, sync)
    return LocalLauncher(sync)
