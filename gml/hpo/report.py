"""``report(acc=0.9, step=epoch)``: a job tells the search how it is doing.

The controller sets ``GML_HPO_JOB_DIR`` for every job; reports go to
``<job dir>/reports.json`` (rewritten atomically, so the controller never
reads half a file). Outside a search, or on ranks other than 0 of a
distributed job, ``report`` does nothing, so scripts keep working unchanged.
"""
import json
import os
from typing import Optional

from .fileio import atomic_dump_json

ENV_JOB_DIR = 'GML_HPO_JOB_DIR'
REPORTS_FILE = 'reports.json'


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


def read_reports(path: str) -> list:
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []
