"""Checkpoint loading under torch's ``weights_only`` default (torch >= 2.6).

An mmengine Runner stores its message hub in every checkpoint: a dict of
``HistoryBuffer`` objects holding numpy arrays, whose pickled state also names
the buffer's statistics functions through ``getattr(HistoryBuffer, 'min')``.
torch's safe unpickler rejects all of that, so resuming (and loading any
mmengine checkpoint) fails. Instead of switching ``weights_only`` off, which
would run arbitrary pickled code, gml allow-lists exactly these classes, and
a ``getattr`` that only resolves HistoryBuffer's statistics methods.
"""
import pickle

import torch

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
    if _done or not hasattr(torch.serialization, 'add_safe_globals'):
        return
    from mmengine.logging.history_buffer import HistoryBuffer
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
    ORIGINAL_GETSTATE = HistoryBuffer.__getstate__
    HistoryBuffer.__getstate__ = _getstate_without_default_methods
    _done = True
