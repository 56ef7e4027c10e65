"""Checkpoints: finding them, reading them, and checking they fit a model.

``resolve_checkpoint`` and ``check_checkpoint_file`` need no torch (the tools
call them before importing it); ``load_checkpoint_file`` and
``check_state_dict_fits`` turn every way a checkpoint can be wrong (missing,
corrupt, another model's) into a one-line :class:`CheckpointError`.

Loading under torch's ``weights_only`` default (torch >= 2.6): an mmengine
Runner stores its message hub in every checkpoint: a dict of
``HistoryBuffer`` objects holding numpy arrays, whose pickled state also names
the buffer's statistics functions through ``getattr(HistoryBuffer, 'min')``.
torch's safe unpickler rejects all of that, so resuming (and loading any
mmengine checkpoint) fails. Instead of switching ``weights_only`` off, which
would run arbitrary pickled code, gml allow-lists exactly these classes, and
a ``getattr`` that only resolves HistoryBuffer's statistics methods.
"""
import os.path as osp
import pickle
import re
import zipfile
from typing import Dict, List, Optional

from .errors import CheckpointError

_done = False
#: mmengine's own HistoryBuffer.__getstate__ (pickles the statistics methods)
ORIGINAL_GETSTATE = None


def _numpy_globals() -> list:
    import numpy as np
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in (
        np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
        np.int64, np.uint8, np.bool_)]
    return [np.dtype, np.ndarray, _reconstruct, scalar] + dtype_classes


def history_buffer_getattr(obj, name: str):
    """``getattr`` for unpickling, limited to HistoryBuffer's statistics."""
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and name in _statistics_names():
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint: '
        'only HistoryBuffer statistics methods are allowed')


def _statistics_names() -> set:
    from mmengine.logging.history_buffer import HistoryBuffer
    return {name for name, fn in HistoryBuffer._statistics_methods.items()
            if getattr(HistoryBuffer, name, None) is fn}


def mmengine_checkpoint_globals() -> list:
    """What an mmengine checkpoint needs beyond torch's default allow-list."""
    from mmengine.logging.history_buffer import HistoryBuffer
    HistoryBuffer()  # registers the default statistics methods
    return [HistoryBuffer, (history_buffer_getattr, 'builtins.getattr'),
            (history_buffer_getattr, '__builtin__.getattr')] + _numpy_globals()


def _getstate_without_default_methods(self) -> dict:
    """HistoryBuffer state minus the default statistics (restored on load)."""
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    custom = {k: v for k, v in self._statistics_methods.items()
              if k not in _statistics_names()}
    if custom:
        state['statistics_methods'] = custom
    return state


def allow_mmengine_checkpoint_globals() -> None:
    """Make mmengine checkpoints loadable with ``weights_only=True``.

    Also makes checkpoints gml writes smaller and cleaner: HistoryBuffer no
    longer pickles its default statistics functions (``__setstate__`` puts
    them back), so such checkpoints need no ``getattr`` at all.
    """
    global _done, ORIGINAL_GETSTATE
    import torch
    if _done or not hasattr(torch.serialization, 'add_safe_globals'):
        return
    from mmengine.logging.history_buffer import HistoryBuffer
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
    ORIGINAL_GETSTATE = HistoryBuffer.__getstate__
    HistoryBuffer.__getstate__ = _getstate_without_default_methods
    _done = True


# -- finding and reading ---------------------------------------------------
_REMOTE = ('http://', 'https://', 's3://', 'torchvision://', 'open-mmlab://')
_UNEXPANDED = re.compile(r'\$\{([A-Za-z_][A-Za-z0-9_]*)\}')


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint a config or command names does not exist."""


def _at(key: str) -> str:
    """Message prefix naming the config key or option (none for the
    tools' CHECKPOINT argument, whose messages say 'checkpoint')."""
    return '' if key == 'checkpoint' else f'{key}: '


def resolve_checkpoint(path: str, key: str = 'checkpoint') -> str:
    """The existing file ``path`` means; errors name the config ``key``.

    Configs and commands of the old toolbox name the newest checkpoint
    ``<work_dir>/latest.pth``. mmengine writes ``epoch_N.pth``/``iter_N.pth``
    and a ``last_checkpoint`` file holding the newest one's path instead, so
    a missing ``latest.pth`` is resolved through that file (also when the
    work dir has moved since).
    """
    if not isinstance(path, str) or not path:
        raise CheckpointError(f'{key} must be a checkpoint path, got '
                              f'{path!r}')
    unset = _UNEXPANDED.search(path)
    if unset:
        raise CheckpointNotFoundError(
            f'{key}={path!r}: environment variable {unset.group(1)} is not '
            f'set; export {unset.group(1)}=<work dir of the previous stage> '
            f'or pass --cfg-options {key}=<checkpoint>')
    if osp.isfile(path) or path.startswith(_REMOTE):
        return path  # mmengine downloads URLs (and caches them)
    if osp.isdir(path):
        raise CheckpointError(f'{_at(key)}checkpoint {path!r} is a '
                              'directory, expected a checkpoint file')
    if osp.basename(path) != 'latest.pth':
        raise CheckpointNotFoundError(
            f'{_at(key)}checkpoint {path!r} does not exist')
    work_dir = osp.dirname(path)
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise CheckpointNotFoundError(
            f'{_at(key)}neither {path!r} nor {marker!r} exists; is '
            f'{work_dir or "."!r} the work dir of a training run?')
    with open(marker) as f:
        target = f.read().strip()
    # next to the marker first: the work dir may have been moved or copied
    for candidate in (osp.join(work_dir, osp.basename(target)), target):
        if candidate and osp.isfile(candidate):
            return candidate
    raise CheckpointNotFoundError(
        f'{_at(key)}{marker!r} names {target!r}, which does not exist')


def check_checkpoint_file(path: str, key: str = 'checkpoint') -> str:
    """Resolve ``path`` and check it looks like a torch checkpoint (a zip
    archive, or a legacy pickle), without torch: the tools fail on a
    missing, empty or truncated file before their heavy imports."""
    path = resolve_checkpoint(path, key)
    if path.startswith(_REMOTE):
        return path
    with open(path, 'rb') as f:
        head = f.read(2)
    if not head:
        raise CheckpointError(f'{_at(key)}checkpoint {path!r} is empty')
    if head != b'PK' and head[:1] != b'\x80':
        raise CheckpointError(
            f'{_at(key)}{path!r} is not a torch checkpoint (expected a zip '
            'archive written by torch.save)')
    if head == b'PK' and not zipfile.is_zipfile(path):
        raise CheckpointError(
            f'{_at(key)}checkpoint {path!r} is truncated or corrupt (its zip '
            'directory is unreadable)')
    return path


def load_checkpoint_file(path: str, map_location='cpu',
                         key: str = 'checkpoint') -> Dict:
    """mmengine's ``_load_checkpoint``; a file that cannot be read (corrupt,
    or pickling objects torch's safe loader refuses) is a CheckpointError."""
    from mmengine.runner.checkpoint import _load_checkpoint
    path = resolve_checkpoint(path, key)
    try:
        checkpoint = _load_checkpoint(path, map_location=map_location)
    except Exception as e:  # what torch/pickle/zip raise varies
        reason = str(e).strip().splitlines()[0] if str(e).strip() else ''
        raise CheckpointError(
            f'{_at(key)}checkpoint {path!r} cannot be read '
            f'({type(e).__name__}{": " + reason if reason else ""})'
        ) from None
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'{_at(key)}{path!r} holds a '
                              f'{type(checkpoint).__name__}, not a '
                              'checkpoint dict')
    return checkpoint


# -- checking that it fits -------------------------------------------------
def state_dict_of(checkpoint: Dict) -> Dict:
    """The weights in ``checkpoint`` (``state_dict`` or the dict itself),
    without a DDP ``module.`` prefix."""
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, dict):
        return {}
    return {re.sub(r'^module\.', '', k): v for k, v in state.items()}


def check_state_dict_fits(model, state: Dict, path: str,
                          require: str = 'all',
                          logger: Optional[str] = 'current') -> None:
    """Raise CheckpointError unless ``state`` loads into ``model``.

    Args:
        model: the module (its ``state_dict()`` keys are what must load;
            algorithms drop keys that never come from checkpoints, e.g. a
            distillation teacher).
        state: the checkpoint's weights.
        path: named in the message.
        require: ``'all'``: every tensor of the model must load (testing,
            searching, resuming: a partly random model must not run);
            ``'most'``: at least half must (fine-tuning from another model's
            weights is fine, starting from random weights is not).
    """
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    mismatched = [k for k in expected if k in state
                  and hasattr(state[k], 'shape')
                  and tuple(state[k].shape) != tuple(expected[k].shape)]
    unexpected = [k for k in state if k not in expected]
    bad = len(missing) + len(mismatched)
    too_many = bad > 0 if require == 'all' else bad * 2 > len(expected)
    if too_many:
        parts = [f'{len(missing)} of the model\'s {len(expected)} tensors '
                 f'missing{_examples(missing)}']
        if mismatched:
            k = mismatched[0]
            parts.append(f'{len(mismatched)} of another shape (e.g. {k}: '
                         f'{tuple(state[k].shape)} in the checkpoint, '
                         f'{tuple(expected[k].shape)} in the model)')
        parts.append(f'{len(unexpected)} unexpected{_examples(unexpected)}')
        raise CheckpointError(
            f'checkpoint {path!r} does not fit this model: '
            + ', '.join(parts) + '; is it a checkpoint of this config?')
    if (missing or mismatched or unexpected) and logger is not None:
        from mmengine.logging import print_log
        print_log(f'checkpoint {path}: {len(missing)} missing, '
                  f'{len(mismatched)} of another shape, {len(unexpected)} '
                  f'unexpected tensors{_examples(missing + unexpected)}',
                  logger=logger, level=30)


def _examples(keys: List[str]) -> str:
    return f' (e.g. {keys[0]})' if keys else ''
