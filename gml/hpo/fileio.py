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


def atomic_write_text(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{os.path.basename(path)}.', suffix='.tmp', dir=directory)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # as open() would, not mkstemp's 0600
        with os.fdopen(fd, 'w') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_dump_yaml(obj: Any, path: str) -> None:
    atomic_write_text(path, yaml.safe_dump(obj, sort_keys=False))


def atomic_dump_json(obj: Any, path: str) -> None:
    atomic_write_text(path, json.dumps(obj, indent=1) + '\n')


def load_yaml(path: str, default: Any = None) -> Any:
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return yaml.safe_load(f)
