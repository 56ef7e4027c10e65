"""Atomic file writes: a reader sees the old file or the new one, never half.

Write to a temporary file in the same directory, fsync, then rename over the
target (rename is atomic within one filesystem).
"""
import json
import os
import tempfile
from typing import Any

import yaml


def atomic_write_text(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{os.path.basename(path)}.', suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{os.path.basename(path)}.', suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
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
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + '\n')
