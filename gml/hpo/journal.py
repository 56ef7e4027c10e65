"""The task's Optuna study as an Optuna journal, written in batches.

Optuna's ``JournalStorage`` keeps the study in memory and replays a log of
operations; this backend stores that log in Optuna's own journal-file format
(JSON lines, what ``JournalFileBackend`` reads) but appends it in batches:
``flush`` writes every pending operation with one ``write``. An ask/tell on
SQLite costs tens of milliseconds a job through SQLAlchemy; here it costs
well under one.

One controller per task writes the file (search-run refuses a second), so
no file lock is needed. The controller flushes before writing any job record
that refers to the study, so a record never names a trial the file lacks;
tells that were not flushed when the controller died are told again from the
job records on resume. No ``fsync``: a controller killed even by SIGKILL
loses nothing written; only an OS crash may lose the last batch.
"""
import json
import os
from typing import Any, Dict, Iterable, List

from optuna.storages.journal import BaseJournalBackend

JOURNAL_NAME = 'optuna.log'


class BatchedJournalFile(BaseJournalBackend):
    """Optuna journal file (single writer) appended in batches.

    Args:
        path: the journal file; created when missing. A torn last line (a
            write cut by a crash) is dropped on open.
    """

    def __init__(self, path: str):
        self.path = path
        self._logs: List[Dict[str, Any]] = []
        self._pending: List[Dict[str, Any]] = []
        good = 0
        if os.path.exists(path):
            with open(path, 'rb') as f:
                for line in f:
                    if not line.endswith(b'\n'):
                        break
                    try:
                        self._logs.append(json.loads(line))
                    except ValueError:
                        break
                    good += len(line)
            if good != os.path.getsize(path):
                os.truncate(path, good)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                           0o644)

    def read_logs(self, log_number_from: int) -> Iterable[Dict[str, Any]]:
        return self._logs[log_number_from:]

    def append_logs(self, logs: List[Dict[str, Any]]) -> None:
        self._logs.extend(logs)
        self._pending.extend(logs)

    def flush(self) -> None:
        if not self._pending:
            return
        data = b''.join(json.dumps(log, separators=(',', ':')).encode()
                        + b'\n' for log in self._pending)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        self._pending = []

    def close(self) -> None:
        self.flush()
        os.close(self._fd)
