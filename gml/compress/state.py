"""What the pipeline remembers between runs, and how it decides to rerun.

A stage's fingerprint is a hash of its resolved config (the config file
with its ``_base_`` files and the stage's options merged), its type, its
test config and the checksums of the files it consumes. A rerun skips a
finished stage whose fingerprint is unchanged; a stage whose inputs changed
(an upstream stage reran and wrote a different file) gets a new
fingerprint, so changes flow downstream by content, not by order.
``DIR/compress_state.json`` is rewritten atomically at every transition.
"""
import hashlib
import json
import os
import os.path as osp
import time
from typing import Dict, Optional

from gml.utils.errors import ConfigError
from gml.utils.fileio import atomic_dump_json

STATE_FILE = 'compress_state.json'
_CHECKSUMS: Dict[tuple, str] = {}


def file_checksum(path: str) -> str:
    """sha256 of a file (cached by path, size and mtime in this process)."""
    st = os.stat(path)
    key = (osp.abspath(path), st.st_size, st.st_mtime_ns)
    if key not in _CHECKSUMS:
        digest = hashlib.sha256()
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 20), b''):
                digest.update(block)
        _CHECKSUMS[key] = digest.hexdigest()
    return _CHECKSUMS[key]


def resolved_config(path: str, options: Dict[str, object]):
    """The mmengine Config of ``path`` with ``options`` merged."""
    from mmengine.config import Config
    try:
        cfg = Config.fromfile(path)
    except Exception as e:
        raise ConfigError(f'config file {path!r} cannot be read: '
                          f'{e.__class__.__name__}: {e}') from None
    try:
        cfg.merge_from_dict(dict(options))
    except Exception as e:
        raise ConfigError(f'{path}: options do not fit the config: {e}'
                          ) from None
    return cfg


def stage_fingerprint(stage, input_checksums: Dict[str, str]) -> str:
    """The hash that decides whether ``stage`` must run again."""
    parts = dict(type=stage.type.name,
                 config=resolved_config(stage.config,
                                        stage.own_options).to_dict(),
                 inputs=input_checksums)
    if stage.test_config != stage.config:
        parts['test_config'] = resolved_config(
            stage.test_config, stage.own_test_options).to_dict()
    if stage.checkpoint:
        parts['checkpoint'] = file_checksum(stage.checkpoint)
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class PipelineState:
    """The per-stage record of a pipeline's work dir.

    Args:
        work_dir (str): the pipeline's ``--work-dir``.
    """

    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.path = osp.join(work_dir, STATE_FILE)
        self.stages: Dict[str, dict] = {}
        if osp.isfile(self.path):
            with open(self.path) as f:
                self.stages = json.load(f).get('stages', {})

    def get(self, name: str) -> Optional[dict]:
        return self.stages.get(name)

    def outputs(self, name: str) -> Dict[str, str]:
        """The stage's outputs as paths (stored relative to the work dir,
        so a copied work dir stays whole)."""
        rec = self.stages.get(name) or {}
        return {k: osp.join(self.work_dir, p)
                for k, p in (rec.get('outputs') or {}).items()}

    def set_outputs(self, name: str, outputs: Dict[str, str], **fields):
        rel = {k: osp.relpath(p, self.work_dir) if osp.abspath(p).startswith(
            osp.abspath(self.work_dir) + os.sep) else osp.abspath(p)
            for k, p in outputs.items()}
        return self.update(name, outputs=rel, **fields)

    def update(self, name: str, **fields) -> dict:
        record = self.stages.setdefault(name, {})
        record.update(fields, updated=time.strftime('%Y-%m-%dT%H:%M:%S'))
        self.save()
        return record

    def save(self) -> None:
        atomic_dump_json(dict(stages=self.stages), self.path)

    def is_done(self, name: str, fingerprint: str) -> bool:
        rec = self.stages.get(name) or {}
        return (rec.get('status') == 'done'
                and rec.get('fingerprint') == fingerprint
                and all(osp.isfile(p) for p in self.outputs(name).values()))

    def can_resume(self, name: str, fingerprint: str) -> bool:
        """The stage started with this fingerprint and did not finish."""
        rec = self.stages.get(name) or {}
        return (rec.get('status') in ('running', 'failed')
                and rec.get('fingerprint') == fingerprint)
