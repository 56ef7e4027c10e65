"""Resolve the checkpoint paths written in distillation configs.

Configs name the previous stage's weights ``<work_dir>/latest.pth`` (the old
toolbox's convention). mmengine >= 0.8 writes ``epoch_N.pth`` plus a
``last_checkpoint`` text file holding the newest path instead, so a missing
``latest.pth`` is resolved through that file.
"""
import os.path as osp
import re

_REMOTE = ('http://', 'https://')
_UNEXPANDED = re.compile(r'\$\{([A-Za-z_][A-Za-z0-9_]*)\}')


def resolve_checkpoint(path: str, key: str) -> str:
    """The existing file ``path`` means; errors name the config ``key``."""
    if not isinstance(path, str) or not path:
        raise ValueError(f'{key} must be a checkpoint path, got {path!r}')
    unset = _UNEXPANDED.search(path)
    if unset:
        raise FileNotFoundError(
            f'{key}={path!r}: environment variable {unset.group(1)} is not '
            f'set; export {unset.group(1)}=<work dir of the previous stage> '
            f'or pass --cfg-options {key}=<checkpoint>')
    if osp.isfile(path) or path.startswith(_REMOTE):
        return path  # mmengine downloads URLs (and caches them)
    if osp.basename(path) != 'latest.pth':
        raise FileNotFoundError(f'{key}: checkpoint {path!r} does not exist')
    work_dir = osp.dirname(path)
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise FileNotFoundError(
            f'{key}: neither {path!r} nor {marker!r} exists; is '
            f'{work_dir!r} the work dir of a finished training run?')
    with open(marker) as f:
        target = f.read().strip()
    # the work dir may have moved since: try the file name next to marker
    for candidate in (target, osp.join(work_dir, osp.basename(target))):
        if candidate and osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f'{key}: {marker!r} names {target!r}, which does not exist')
