"""A job's scalar history: ``report()`` records plus mmengine's scalars.

mmengine's ``LocalVisBackend`` writes ``work_dirs/<exp>/<time>/vis_data/
scalars.json``: JSON lines such as ``{"accuracy/top1": 97.2, "step": 3}``.
Jobs run in their own copy of the project, so the files are searched under
the job's folder; nothing needs adding to an mmengine training script.
"""
import glob
import json
import os
from typing import Dict, Optional

from .report import REPORTS_FILE, read_reports

History = Dict[str, Dict[int, float]]  # scalar name -> {step: value}


def read_history(job_dir: str) -> History:
    history: History = {}
    for path in _mmengine_scalar_files(job_dir):
        for record in _json_lines(path):
            _add(history, record)
    for record in read_reports(os.path.join(job_dir, REPORTS_FILE)):
        _add(history, record)
    return history


def _mmengine_scalar_files(job_dir):
    pattern = os.path.join(job_dir, '**', 'vis_data', 'scalars.json')
    # Older runs first, so a resumed run's values win at equal steps.
    return sorted(glob.glob(pattern, recursive=True), key=os.path.getmtime)


def _json_lines(path):
    try:
        with open(path) as f:
            lines = f.readlines()
    except OSError:
        return
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the line being written right now
        if isinstance(record, dict):
            yield record


def _add(history: History, record: dict) -> None:
    step = record.get('step')
    if not isinstance(step, (int, float)):
        return
    for key, value in record.items():
        if key in ('step', 'epoch', 'iter') or isinstance(value, bool) or \
                not isinstance(value, (int, float)):
            continue
        history.setdefault(key, {})[int(step)] = float(value)


def reward(history: History, attribute: str, mode: str = 'max',
           reduce: str = 'last') -> Optional[float]:
    """The job's reward: the last (or best) value of ``attribute``."""
    series = history.get(attribute)
    if not series:
        return None
    if reduce == 'best':
        return max(series.values()) if mode == 'max' else min(
            series.values())
    return series[max(series)]
