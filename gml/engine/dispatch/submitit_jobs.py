"""The places where gml adjusts submitit.

- Importing submitit runs ``logging.config.dictConfig``, which closes every
  logging handler already open, e.g. the Runner's log file. It is imported
  here with its logging configuration off.

- Job state on a Slurm without accounting: submitit asks ``sacct``, which
  fails when there is no slurmdbd. Every state then stays UNKNOWN and a job
  that died without writing its result (killed, node lost, out of memory)
  would be waited for forever. :class:`SqueueFallbackWatcher` asks
  ``squeue`` instead, which knows every job that is queued, running, or
  ended in the last ``MinJobAge`` seconds; a job it no longer knows ended.
- Local jobs that outlived the process that submitted them (a search killed
  and resumed): submitit only knows a local job through its ``Popen``, so a
  job reattached by id would look finished at once. :class:`LocalJobById`
  asks the operating system whether its controller still runs.
"""
import math
import os
import subprocess
import time
from typing import Dict, Optional


def _import_submitit():
    saved = os.environ.get('SUBMITIT_LOG_LEVEL')
    os.environ['SUBMITIT_LOG_LEVEL'] = 'NOCONFIG'  # read at import only
    try:
        import submitit
    finally:
        if saved is None:
            del os.environ['SUBMITIT_LOG_LEVEL']
        else:
            os.environ['SUBMITIT_LOG_LEVEL'] = saved
    return submitit


submitit = _import_submitit()
LocalExecutor = submitit.LocalExecutor
LocalJob = submitit.local.local.LocalJob
SlurmExecutor = submitit.SlurmExecutor
SlurmJob = submitit.SlurmJob
SlurmInfoWatcher = submitit.slurm.slurm.SlurmInfoWatcher

#: Slurm states after which a job will not run again.
ENDED_STATES = {'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL',
                'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED',
                'ENDED'}


class SqueueFallbackWatcher(SlurmInfoWatcher):
    """submitit's sacct watcher, with squeue when sacct does not answer.

    Args:
        delay_s: as submitit's ``SlurmInfoWatcher``: seconds between
            queries.
    """

    def update(self) -> None:
        to_check = sorted({x.split('_')[0]
                           for x in self._registered - self._finished})
        if not to_check:
            return
        self._num_calls += 1
        info = self._sacct(to_check)
        if info is None:
            info = self._squeue(to_check)
        if info is not None:
            self._info_dict.update(info)
        self._last_status_check = time.time()
        for job_id in self._registered - self._finished:
            if self.is_done(job_id, mode='cache'):
                self._finished.add(job_id)

    def _sacct(self, job_ids) -> Optional[Dict]:
        cmd = ['sacct', '-o', 'JobID,State,NodeList', '--parsable2']
        for jid in job_ids:
            cmd += ['-j', jid]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            return None  # e.g. "Slurm accounting storage is disabled"
        return self.read_info(proc.stdout)

    @staticmethod
    def _squeue(job_ids) -> Optional[Dict]:
        proc = subprocess.run(['squeue', '-h', '-t', 'all', '-o', '%i|%T',
                               '-j', ','.join(job_ids)],
                              capture_output=True, text=True)
        if proc.returncode != 0 and 'Invalid job id' not in proc.stderr:
            return None  # controller unreachable: keep waiting
        info = {jid: {'State': 'ENDED'} for jid in job_ids}
        for line in proc.stdout.splitlines():
            jid, _, state = line.strip().partition('|')
            state = state.split()[0] if state else 'UNKNOWN'
            # SUSPENDED, CONFIGURING, STAGE_OUT...: alive, not done
            info[jid] = {'State': state if state in ENDED_STATES
                         else 'RUNNING'}
        return info


class WatchedSlurmJob(SlurmJob):
    """submitit's Slurm job, watched by :class:`SqueueFallbackWatcher`.

    Args:
        folder, job_id, tasks: as submitit's ``SlurmJob``.
    """
    watcher = SqueueFallbackWatcher(delay_s=30)


class WatchedSlurmExecutor(SlurmExecutor):
    """submitit's Slurm executor whose jobs are :class:`WatchedSlurmJob`.

    Args:
        folder, max_num_timeout, python: as submitit's ``SlurmExecutor``.
    """
    job_class = WatchedSlurmJob


class LocalJobById(LocalJob):
    """A local job known by id only (its controller's pid).

    Args:
        folder, job_id, tasks, process: as submitit's ``LocalJob``.
    """

    def get_info(self, mode: str = 'force') -> Dict[str, str]:
        if (self._process is None and not self.paths.result_pickle.exists()
                and _controller_alive(self.job_id)):
            return {'jobState': 'RUNNING'}
        return super().get_info(mode)


def _controller_alive(pid: str) -> bool:
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            cmdline = f.read()
        with open(f'/proc/{pid}/status') as f:
            zombie = any(line.startswith('State:') and 'zombie' in line
                         for line in f)
    except OSError:
        return False
    return b'submitit.local._local' in cmdline and not zombie


def make_submitit_executor(folder: str, cluster: str, partition=None,
                           timeout_min: float = 60, gpus_per_task: int = 0,
                           cpus_per_task=None, mem_gb=None,
                           job_name: str = 'gml', slurm_params=None):
    """A submitit executor for ``cluster`` ('slurm' or 'local')."""
    if cluster == 'local':
        executor = LocalExecutor(folder)
        executor.update_parameters(timeout_min=timeout_min,
                                   gpus_per_node=gpus_per_task)
        return executor
    executor = WatchedSlurmExecutor(folder)
    params = dict(time=max(1, math.ceil(timeout_min)), job_name=job_name,
                  # the USR2 warning before the time limit (submitit's
                  # default 90 s) must fit in a short limit
                  signal_delay_s=min(90, max(5, int(timeout_min * 6))))
    if partition:
        params['partition'] = partition
    if gpus_per_task:
        params['gpus_per_node'] = gpus_per_task
    if cpus_per_task:
        params['cpus_per_task'] = cpus_per_task
    if mem_gb:
        params['mem'] = f'{int(mem_gb * 1024)}MB'
    if slurm_params:
        params['additional_parameters'] = dict(slurm_params)
    executor.update_parameters(**params)
    return executor


def submit(executor, fn, *args):
    """``executor.submit`` without this process's rank and Slurm variables
    (a job submitted from a Slurm job would inherit them)."""
    with submitit.helpers.clean_env():
        return executor.submit(fn, *args)


def attach_job(folder: str, cluster: str, job_id: str):
    """The submitit job ``job_id`` of an earlier process."""
    if cluster == 'local':
        return LocalJobById(folder=folder, job_id=job_id)
    return WatchedSlurmJob(folder=folder, job_id=job_id)

