"""Atomic file writes: a reader sees the old file or the new one, never half.

Write to a temporary file in the same directory, then rename it over the
target (rename is atomic within one filesystem). Import-light on purpose:
``gml.hpo`` uses it without torch or mmengine.
"""
import json
import os
import tempfile
from typing import Any, Union

import yaml

_UMASK = os.umask(0)
os.umask(_UMASK)
_Dumper = getattr(yaml, 'CSafeDumper', yaml.SafeDumper)
_Loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


def _atomic_write(path: str, data: Union[str, bytes], fsync: bool) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{os.path.basename(path)}.', suffix='.tmp', dir=directory)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # as open() would, not mkstemp's 0600
        with os.fdopen(fd, 'wb' if isinstance(data, bytes) else 'w') as f:
            f.write(data)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str, text: str, fsync: bool = True) -> None:
    """Write ``text`` to ``path`` atomically.

    The rename alone makes that true when a process dies (even by SIGKILL);
    ``fsync`` also orders data before the rename for OS crashes, at a few ms
    per write, so records that change often may skip it.
    """
    if not isinstance(text, str):
        raise TypeError(f'atomic_write_text: expected str, got '
                        f'{type(text).__name__}')
    _atomic_write(path, text, fsync)


def atomic_write_bytes(path: str, data: bytes, fsync: bool = True) -> None:
    _atomic_write(path, data, fsync)


def atomic_dump_yaml(obj: Any, path: str, fsync: bool = True) -> None:
    atomic_write_text(path, yaml.dump(obj, Dumper=_Dumper, sort_keys=False),
                      fsync)


def atomic_dump_json(obj: Any, path: str, fsync: bool = True) -> None:
    atomic_write_text(path, json.dumps(obj, indent=1) + '\n',
                      fsync)


def load_yaml(path: str, default: Any = None) -> Any:
    """Safe-load ``path``; ``default`` when the file does not exist."""
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return yaml.load(f, Loader=_Loader)
