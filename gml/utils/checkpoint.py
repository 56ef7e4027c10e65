"""Checkpoint loading under torch's ``weights_only`` default (torch >= 2.6)."""
import torch

_done = False


def mmengine_checkpoint_globals() -> list:
    """The non-tensor classes an mmengine Runner writes into a checkpoint.

    Its message hub keeps ``HistoryBuffer`` objects holding numpy arrays and
    scalars; nothing else in a checkpoint needs unpickling beyond torch's
    default allow-list.
    """
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    classes = [HistoryBuffer, np.dtype, np.ndarray]
    classes += [type(np.dtype(t)) for t in (
        np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
        np.int64, np.uint8, np.bool_)]
    # numpy reconstructs arrays and scalars through these functions.
    classes.append(np.core.multiarray._reconstruct
                   if hasattr(np, 'core') else np._core.multiarray._reconstruct)
    classes.append(_numpy_scalar())
    return classes


def _numpy_scalar():
    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import scalar
    return scalar


def allow_mmengine_checkpoint_globals() -> None:
    """Add mmengine's checkpoint classes to torch's safe-unpickling list."""
    global _done
    if _done or not hasattr(torch.serialization, 'add_safe_globals'):
        return
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
    _done = True
