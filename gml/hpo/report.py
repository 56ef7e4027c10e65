"""``report(acc=0.9, step=epoch)``: a job tells the search how it is doing.

The controller sets ``GML_HPO_JOB_DIR`` for every job; reports go to
``<job dir>/reports.json`` (rewritten atomically, so the controller never
reads half a file). Outside a search, or on ranks other than 0 of a
distributed job, ``report`` does nothing, so scripts keep working unchanged.
"""
import json
import os
import time
from typing import Optional

from gml.utils.fileio import atomic_dump_json

ENV_JOB_DIR = 'GML_HPO_JOB_DIR'
#: set by the controller when ``search.sync_reports`` is on.
ENV_SYNC = 'GML_HPO_SYNC_REPORTS'
REPORTS_FILE = 'reports.json'
ACK_FILE = 'ack'


def _is_rank_zero() -> bool:
    for var in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK'):
        if os.environ.get(var, '0') not in ('', '0'):
            return False
    return True


def report(step: Optional[int] = None, **scalars: float) -> None:
    """Record scalar values (e.g. ``acc``, ``loss``, ``params``) at ``step``.

    ``step`` is the training progress (epoch or iteration); early stopping
    compares jobs at equal steps. Without it, reports are numbered 0, 1, ...
    """
    job_dir = os.environ.get(ENV_JOB_DIR)
    if not job_dir or not scalars or not _is_rank_zero():
        return
    for name, value in scalars.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f'report({name}={value!r}): expected a number')
    path = os.path.join(job_dir, REPORTS_FILE)
    records = read_reports(path)
    if step is None:
        step = len(records)
    records.append({'step': int(step),
                    **{k: float(v) for k, v in scalars.items()}})
    atomic_dump_json(records, path)
    if os.environ.get(ENV_SYNC):
        _wait_for_verdict(job_dir, int(step), float(os.environ[ENV_SYNC]))


def _wait_for_verdict(job_dir: str, step: int, timeout: float) -> None:
    """Block until the controller has judged this step (``sync_reports``).

    The controller either acknowledges the step or stops the job, so even
    epochs far shorter than its polling interval meet the pruner. After
    ``timeout`` seconds (controller gone) training simply goes on.
    """
    deadline = time.time() + timeout
    ack = os.path.join(job_dir, ACK_FILE)
    while time.time() < deadline:
        try:
            with open(ack) as f:
                if int(f.read().strip() or -1) >= step:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.01)


def read_reports(path: str) -> list:
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []
