"""Atomic state-file writes for gml.hpo.

Same pattern as ``gml.utils.fileio`` (temp file, fsync, rename), repeated here
because importing ``gml.utils`` pulls in mmengine and torch, and ``gml.hpo``
must stay importable (and fast) without them.
"""
import json
import os
import tempfile
from typing import Any

import yaml

_UMASK = os.umask(0)
os.umask(_UMASK)


_Dumper = getattr(yaml, 'CSafeDumper', yaml.SafeDumper)
_Loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


def atomic_write_text(path: str, text: str, fsync: bool = True) -> None:
    """Readers see the old or the new file, never a part.

    The rename alone makes that true when a process dies (even by SIGKILL);
    ``fsync`` also orders data before the rename for OS crashes, at a few ms
    per write, so per-job records that change often skip it.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{os.path.basename(path)}.', suffix='.tmp', dir=directory)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # as open() would, not mkstemp's 0600
        with os.fdopen(fd, 'w') as f:
            f.write(text)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_dump_yaml(obj: Any, path: str, fsync: bool = True) -> None:
    atomic_write_text(path, yaml.dump(obj, Dumper=_Dumper, sort_keys=False),
                      fsync)


def atomic_dump_json(obj: Any, path: str, fsync: bool = True) -> None:
    atomic_write_text(path, json.dumps(obj, indent=1) + '\n', fsync)


def load_yaml(path: str, default: Any = None) -> Any:
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return yaml.load(f, Loader=_Loader)
