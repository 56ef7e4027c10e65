"""Run a function over many items, in chunks, here or as separate jobs.

An executor maps a picklable ``fn(item) -> result`` over ``items``: it cuts
them into chunks of ``chunk_size``, runs each chunk (in this process, or as
one job through submitit: a Slurm job, or a local process when there is no
Slurm), retries a chunk whose job failed or got lost, hands each result to
``on_result`` as it arrives and returns them all in item order. Chunks that
fail on every attempt are reported together (their items named, with the
error) once the others are done, so nothing computed is thrown away.

With a ``journal`` file the jobs in flight are recorded; a later ``map``
over the same items (e.g. a search resumed after its process was killed)
reattaches to those jobs instead of submitting their items again, so no
item runs twice. What is done is the caller's to skip (``on_result``
saves it).

Used by the subnet searches to score candidates; nothing in it is specific
to them (child trainings can be dispatched the same way). HPO's trials, a
user's shell command each, go through :mod:`gml.hpo.launchers` instead;
its docstring says why, with the measured cost per job of both.
"""
import inspect
import os
import shutil
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from gml.utils.fileio import atomic_dump_json


@dataclass
class ChunkFailure:
    """A chunk that failed on every attempt.

    Args:
        names: the candidates of the chunk.
        attempts: how many times it was tried.
        error: the last attempt's error, one line.
        jobs: the ids of the jobs that ran it (dispatched chunks).
        log: the last job's log file, if any.
    """
    names: List[str]
    attempts: int
    error: str
    jobs: List[str] = field(default_factory=list)
    log: Optional[str] = None

    def __str__(self) -> str:
        where = f' (jobs {", ".join(self.jobs)})' if self.jobs else ''
        log = f'; log: {self.log}' if self.log else ''
        return (f'{", ".join(self.names)}: failed {self.attempts} '
                f'time(s){where}: {self.error}{log}')


class ChunkError(RuntimeError):
    """Some chunks failed on every attempt (the others' results were
    delivered).

    Args:
        failures: one per chunk that failed every attempt.
        num_chunks: how many chunks were sent in all.
    """

    def __init__(self, failures: List[ChunkFailure], num_chunks: int):
        self.failures = failures
        lines = [f'{len(failures)} of {num_chunks} chunk(s) failed after '
                 'every attempt:'] + [f'  {f}' for f in failures]
        super().__init__('\n'.join(lines))


@dataclass
class _Chunk:
    indices: List[int]
    attempt: int = 1
    jobs: List[str] = field(default_factory=list)
    job: Any = None
    started: float = 0.0


class BaseExecutor:
    """Maps ``fn`` over items in chunks; see the module docstring.

    Args:
        chunk_size: items per chunk (one job each when dispatched).
        retries: extra attempts for a chunk that failed.
    """

    def __init__(self, chunk_size: int = 1, retries: int = 1):
        if int(chunk_size) < 1 or int(retries) < 0:
            raise ValueError(f'chunk_size must be >= 1 and retries >= 0, got '
                             f'{chunk_size} and {retries}')
        self.chunk_size = int(chunk_size)
        self.retries = int(retries)

    def map(self, fn: Callable[[Any], Any], items: Sequence,
            names: Optional[Sequence[str]] = None,
            on_result: Optional[Callable[[int, Any], None]] = None,
            journal: Optional[str] = None, progress: bool = True,
            desc: str = 'items') -> List:
        """``[fn(item) for item in items]``, computed in chunks.

        Args:
            fn: picklable for dispatching executors.
            names: how reports name each item (unique; default 'item i').
            on_result: called with ``(index, result)`` as results arrive.
            journal: JSON file recording the jobs in flight (dispatching
                executors); reattached to by a later ``map``.
            progress: show progress (one process of several may not).
            desc: what the items are, for progress lines.

        Raises:
            ChunkError: chunks that failed on every attempt.
        """
        names = ([f'item {i}' for i in range(len(items))]
                 if names is None else [str(n) for n in names])
        if len(names) != len(items) or len(set(names)) != len(names):
            raise ValueError('names must be unique, one per item')
        chunks = [_Chunk(list(range(i, min(i + self.chunk_size, len(items)))))
                  for i in range(0, len(items), self.chunk_size)]
        return self._map(fn, items, names, chunks, on_result, journal,
                         progress, desc)

    def _map(self, fn, items, names, chunks, on_result, journal, progress,
             desc) -> List:
        raise NotImplementedError


class InProcessExecutor(BaseExecutor):
    """Runs the chunks one after another in this process.

    Args:
        chunk_size, retries: as :class:`BaseExecutor`.
    """

    def _map(self, fn, items, names, chunks, on_result, journal, progress,
             desc):
        results: List[Any] = [None] * len(items)
        failures = []
        bar = ProgressBar(len(items)) if progress and items else None
        for chunk in chunks:
            chunk_items = [items[i] for i in chunk.indices]
            for chunk.attempt in range(1, self.retries + 2):
                try:
                    out = list(map(fn, chunk_items))
                    break
                except Exception as e:  # noqa: BLE001  reported with items
                    error = f'{type(e).__name__}: {e}'
                    print_log(f'{", ".join(names[i] for i in chunk.indices)}'
                              f': attempt {chunk.attempt} failed: {error}',
                              logger='current', level=30)
            else:
                failures.append(ChunkFailure(
                    [names[i] for i in chunk.indices], chunk.attempt, error))
                continue
            for i, result in zip(chunk.indices, out):
                results[i] = result
                if on_result is not None:
                    on_result(i, result)
            if bar is not None:
                bar.update(len(chunk.indices))
        if bar is not None:
            print(flush=True)
        if failures:
            raise ChunkError(failures, len(chunks))
        return results


class SubmititExecutor(BaseExecutor):
    """Each chunk is one job submitted with submitit.

    Args:
        folder: where submitit keeps pickles and job logs (shared by the
            cluster's nodes for Slurm).
        cluster: 'slurm', 'local' (processes on this machine), or 'auto'
            (Slurm when ``sbatch`` is on PATH, local otherwise).
        partition: Slurm partition (default: the cluster's default).
        chunk_size, retries: see :class:`BaseExecutor`.
        max_parallel: jobs in flight at once (default: every chunk on
            Slurm, which queues them; 1 locally).
        timeout_min: a job's time limit; a job that ran out of it counts
            as failed and is retried.
        gpus_per_task, cpus_per_task, mem_gb: resources of one job.
        job_name: Slurm job name.
        slurm_params: further ``#SBATCH`` options, e.g. ``dict(qos='low')``.
        poll_s: seconds between checks of the jobs in flight.
    """

    def __init__(self, folder: str, cluster: str = 'auto',
                 partition: Optional[str] = None, chunk_size: int = 1,
                 max_parallel: Optional[int] = None, timeout_min: float = 60,
                 retries: int = 1, gpus_per_task: int = 0,
                 cpus_per_task: Optional[int] = None,
                 mem_gb: Optional[float] = None, job_name: str = 'gml',
                 slurm_params: Optional[Dict] = None, poll_s: float = 0.5):
        super().__init__(chunk_size, retries)
        if cluster == 'auto':
            cluster = 'slurm' if shutil.which('sbatch') else 'local'
        if cluster not in ('slurm', 'local'):
            raise ValueError(f"cluster must be 'slurm', 'local' or 'auto', "
                             f'got {cluster!r}')
        if cluster == 'slurm' and not shutil.which('sbatch'):
            raise ValueError("cluster='slurm' but there is no sbatch on PATH")
        if cluster == 'slurm' and partition:
            _check_partition(partition)
        if max_parallel is not None and int(max_parallel) < 1:
            raise ValueError(f'max_parallel must be >= 1, got {max_parallel}')
        self.folder = os.path.abspath(folder)
        self.cluster = cluster
        self.max_parallel = (int(max_parallel) if max_parallel is not None
                             else None if cluster == 'slurm' else 1)
        self.poll_s = poll_s
        from .submitit_jobs import make_submitit_executor
        self._executor = make_submitit_executor(
            self.folder, cluster, partition=partition,
            timeout_min=timeout_min, gpus_per_task=gpus_per_task,
            cpus_per_task=cpus_per_task, mem_gb=mem_gb, job_name=job_name,
            slurm_params=slurm_params)

    def _submit(self, fn, chunk_items):
        from .submitit_jobs import submit
        # a job runs list(map(fn, chunk)): builtins only, so it imports
        # nothing but what unpickling fn needs
        return submit(self._executor, list, map(fn, chunk_items))

    def _attach(self, job_id: str):
        from .submitit_jobs import attach_job
        return attach_job(self.folder, self.cluster, job_id)

    def _map(self, fn, items, names, chunks, on_result, journal, progress,
             desc):
        results: List[Any] = [None] * len(items)
        failures: List[ChunkFailure] = []
        running: List[_Chunk] = []
        queued = deque(self._reattach(chunks, names, journal, running))
        num_chunks, done, t0 = len(chunks), 0, time.time()
        limit = self.max_parallel or len(chunks) or 1
        while queued or running:
            while queued and len(running) < limit:
                chunk = queued.popleft()
                try:
                    chunk.job = self._submit(
                        fn, [items[i] for i in chunk.indices])
                except Exception as e:  # noqa: BLE001  e.g. sbatch refused
                    chunk.job = None
                    self._failed(chunk, f'submission failed: '
                                 f'{_short_error(e)}', names, queued,
                                 failures, desc)
                    continue
                chunk.jobs.append(str(chunk.job.job_id))
                chunk.started = time.time()
                running.append(chunk)
                self._write_journal(journal, running, names)
            finished = [c for c in running if c.job.done()]
            if not finished:
                if running:
                    time.sleep(self.poll_s)
                continue
            for chunk in finished:
                running.remove(chunk)
                label = ', '.join(names[i] for i in chunk.indices)
                try:
                    out = chunk.job.result()
                    if len(out) != len(chunk.indices):
                        raise RuntimeError(f'the job returned {len(out)} '
                                           f'results for {len(chunk.indices)}'
                                           ' items')
                except Exception as e:  # noqa: BLE001  retried or reported
                    self._failed(chunk, _short_error(e), names, queued,
                                 failures, desc)
                    self._write_journal(journal, running, names)
                    continue
                for i, result in zip(chunk.indices, out):
                    results[i] = result
                    if on_result is not None:
                        on_result(i, result)
                self._write_journal(journal, running, names)
                done += len(chunk.indices)
                if progress:
                    elapsed = time.time() - t0
                    eta = elapsed / done * (len(items) - done)
                    print_log(
                        f'{desc}: {done}/{len(items)} done ({label} by '
                        f'{self.cluster} job {chunk.jobs[-1]} in '
                        f'{time.time() - chunk.started:.1f} s); '
                        f'{len(running)} job(s) running, {len(queued)} '
                        f'chunk(s) queued; elapsed {elapsed:.0f} s, '
                        f'eta {eta:.0f} s', logger='current')
        if failures:
            raise ChunkError(failures, num_chunks)
        return results

    def _failed(self, chunk, error, names, queued, failures, desc) -> None:
        """Queue ``chunk`` again, or report it when out of attempts."""
        label = ', '.join(names[i] for i in chunk.indices)
        job = f'job {chunk.jobs[-1]}' if chunk.job is not None else 'chunk'
        if chunk.attempt <= self.retries:
            print_log(f'{desc}: {label}: {job} failed (attempt '
                      f'{chunk.attempt}/{self.retries + 1}): {error}; '
                      'retrying', logger='current', level=30)
            chunk.attempt += 1
            queued.appendleft(chunk)
            return
        log = str(chunk.job.paths.stderr) if chunk.job is not None else None
        failures.append(ChunkFailure([names[i] for i in chunk.indices],
                                     chunk.attempt, error, list(chunk.jobs),
                                     log))
        print_log(f'{desc}: {failures[-1]}', logger='current', level=30)

    def _reattach(self, chunks, names, journal, running) -> List[_Chunk]:
        """Jobs of an earlier ``map`` over these items that are still in
        flight (or finished unseen) become running chunks; the rest of the
        items are cut into chunks again. Returns the chunks to submit."""
        from gml.utils.fileio import load_yaml  # JSON is YAML
        entries = (load_yaml(journal, default={}) or {}).get(
            'jobs', []) if journal else []
        index = {n: i for i, n in enumerate(names)}
        taken = set()
        for entry in entries:
            indices = [index.get(n) for n in entry['items']]
            if None in indices or taken & set(indices):
                continue  # not this map's items (any more)
            job = self._attach(entry['job_id'])
            running.append(_Chunk(indices, entry['attempt'],
                                  list(entry['jobs']), job, time.time()))
            taken.update(indices)
            print_log(f'reattached to {self.cluster} job {entry["job_id"]} '
                      f'({", ".join(entry["items"])})', logger='current')
        if not taken:
            return chunks
        rest = [i for c in chunks for i in c.indices if i not in taken]
        return [_Chunk(rest[i:i + self.chunk_size])
                for i in range(0, len(rest), self.chunk_size)]

    @staticmethod
    def _write_journal(journal, running, names) -> None:
        if journal is None:
            return
        atomic_dump_json(dict(jobs=[
            dict(job_id=c.jobs[-1], items=[names[i] for i in c.indices],
                 attempt=c.attempt, jobs=c.jobs) for c in running]),
            journal, fsync=False)


def _check_partition(partition: str) -> None:
    import subprocess
    proc = subprocess.run(['sinfo', '-h', '-o', '%R'], capture_output=True,
                          text=True)
    known = proc.stdout.split()
    if proc.returncode == 0 and partition not in known:
        raise ValueError(f'Slurm has no partition {partition!r} (sinfo '
                         f'lists: {", ".join(known)})')


def _short_error(exc: Exception) -> str:
    """One line: the exception the job raised, or why it has no result."""
    text = str(exc).strip()
    if 'failed during processing with trace' in text:
        trace = text.split('-' * 22)[1] if '-' * 22 in text else text
        lines = [ln for ln in trace.strip().splitlines() if ln.strip()]
        return lines[-1].strip() if lines else text
    first = ' '.join(text.splitlines()[:2])
    return f'{type(exc).__name__}: {first}'


EXECUTOR_TYPES = ('slurm', 'local', 'auto')


def build_executor(cfg: Optional[Dict], folder: str) -> Optional[BaseExecutor]:
    """``train_cfg.executor`` to an executor; None stays None (in process).

    ``cfg['type']``: 'slurm', 'local' or 'auto' (see
    :class:`SubmititExecutor`); the other keys are its arguments.
    """
    if cfg is None:
        return None
    cfg = dict(cfg)
    kind = cfg.pop('type', 'auto')
    if kind not in EXECUTOR_TYPES:
        raise ValueError(f'type must be one of {", ".join(EXECUTOR_TYPES)}, '
                         f'got {kind!r}')
    allowed = set(inspect.signature(SubmititExecutor).parameters) - {
        'cluster'}
    unknown = sorted(set(cfg) - allowed)
    if unknown:
        raise ValueError(f'unknown key(s) {unknown}; expected some of '
                         f'type, {", ".join(sorted(allowed))}')
    cfg.setdefault('folder', folder)
    return SubmititExecutor(cluster=kind, **cfg)
