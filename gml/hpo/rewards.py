"""A job's scalar history: ``report()`` records plus mmengine's scalars.

mmengine's ``LocalVisBackend`` writes ``work_dirs/<exp>/<time>/vis_data/
scalars.json``: JSON lines such as ``{"accuracy/top1": 97.2, "step": 3}``.
Jobs run in their own copy of the project, so the files are searched under
the job's folder; nothing needs adding to an mmengine training script.

Only the job's own run counts: a ``scalars.json`` last written before the
job's folder was made (a stale file that came with the project) is skipped.
Both times come from the same filesystem, so clock skew between the
controller and a Slurm node cannot drop fresh files.
"""
import json
import os
import time
from typing import Dict, Iterable, List, Optional, Tuple

from .report import REPORTS_FILE, read_reports

History = Dict[str, Dict[int, float]]  # scalar name -> {step: value}
_SKIP_DIRS = ('.git', '__pycache__', '.search-run')


class HistoryReader:
    """Reads a job's history, re-parsing only files that changed.

    Args:
        job_dir: the job's folder.
        since: the folder's creation mtime (``None``: accept every file).
        rescan_every: seconds between walks of the folder for new
            ``vis_data/scalars.json`` files while the job runs.
    """

    def __init__(self, job_dir: str, since: Optional[float] = None,
                 rescan_every: float = 5.0):
        self.job_dir = job_dir
        self.since = since
        self.rescan_every = rescan_every
        self._scanned = float('-inf')
        self._files: List[str] = []
        self._parsed: Dict[str, Tuple[Tuple[float, int], list]] = {}

    def read(self, rescan: bool = True) -> History:
        """The history now; ``rescan`` forces a walk for new files."""
        if rescan or time.monotonic() - self._scanned >= self.rescan_every:
            self._files = mmengine_scalar_files(self.job_dir, self.since)
            self._scanned = time.monotonic()
        history: History = {}
        for path in self._files:
            for record in self._records(path, _json_lines):
                add_record(history, record)
        reports = os.path.join(self.job_dir, REPORTS_FILE)
        for record in self._records(reports, read_reports):
            add_record(history, record)
        return history

    def _records(self, path, parse) -> list:
        try:
            st = os.stat(path)
        except OSError:
            return []
        key = (st.st_mtime, st.st_size)
        cached = self._parsed.get(path)
        if cached is None or cached[0] != key:
            cached = (key, list(parse(path)))
            self._parsed[path] = cached
        return cached[1]


def read_history(job_dir: str, since: Optional[float] = None) -> History:
    return HistoryReader(job_dir, since).read()


def mmengine_scalar_files(job_dir: str, since: Optional[float] = None):
    """``**/vis_data/scalars.json`` under the job, oldest first, written at
    or after ``since``; linked folders (data) are not searched."""
    found = []
    for dirpath, dirnames, filenames in os.walk(job_dir):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
        if os.path.basename(dirpath) != 'vis_data' or \
                'scalars.json' not in filenames:
            continue
        path = os.path.join(dirpath, 'scalars.json')
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            continue
        if since is None or mtime >= since:
            found.append((mtime, path))
    # Older runs first, so a resumed run's values win at equal steps.
    return [p for _, p in sorted(found)]


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


def add_record(history: History, record: dict) -> None:
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


def resolve_attribute(configured: Optional[str], reported: Iterable[str],
                      candidates: Optional[List[str]] = None
                      ) -> Tuple[Optional[str], str]:
    """The reward attribute and, when there is none, why.

    ``configured`` (``search.reward_attribute``) wins; else the only scalar
    reported (among ``candidates``, i.e. ``pavi.scalars``, when given).
    """
    if configured:
        return configured, ''
    names = sorted(set(reported))
    if candidates is not None:
        names = [n for n in names if n in candidates]
    if len(names) == 1:
        return names[0], ''
    if not names:
        return None, ('search.reward_attribute is not set and the jobs '
                      'reported no scalar' + (f' of pavi.scalars {candidates}'
                                              if candidates else ''))
    return None, ('search.reward_attribute is not set and the jobs reported '
                  f'several scalars: {", ".join(names)}')


def closest_first(name: str, names: Iterable[str]) -> List[str]:
    """``names`` ordered by similarity to ``name`` (difflib), closest first."""
    import difflib
    return sorted(set(names), key=lambda n: (
        -difflib.SequenceMatcher(None, name, n).ratio(), n))


def unreported(name: str, reported: Iterable[str], what: str) -> str:
    """Why ``name`` has no values: the scalars there are, closest first."""
    names = closest_first(name, reported)
    if not names:
        return f'no job reported {what} {name!r}; the jobs reported no scalars'
    return (f'no job reported {what} {name!r}; the jobs reported: '
            f'{", ".join(names)} (closest: {names[0]!r})')
