"""Export each finished job's scalars as one TensorBoard run.

``tensorboard --logdir .search-run/tasks/<task>`` then shows every job of
the task side by side (runs ``tensorboard/<N>``). Written with the
``tensorboard`` package's own event writer, no torch or TensorFlow needed.
"""
import os
import shutil
import time

from .rewards import History


def export_job(job, history: History, scalars=None) -> str:
    """Write ``tensorboard/<N>`` once per job end (atomic: temp dir, rename).

    ``scalars`` (``pavi.scalars``) limits the export to those names.
    Returns the run directory, or '' when tensorboard is not installed.
    """
    try:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary
        from tensorboard.summary.writer.event_file_writer import \
            EventFileWriter
    except ImportError:
        return ''
    run_dir = os.path.join(job.task.tensorboard_dir, job.name)
    tmp = run_dir + '.partial'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    writer = EventFileWriter(tmp)
    wall = time.time()
    for tag, series in sorted(history.items()):
        if scalars is not None and tag not in scalars:
            continue
        for step, value in sorted(series.items()):
            writer.add_event(Event(
                wall_time=wall, step=step,
                summary=Summary(value=[Summary.Value(tag=tag,
                                                     simple_value=value)])))
    writer.close()
    shutil.rmtree(run_dir, ignore_errors=True)
    os.replace(tmp, run_dir)
    return run_dir
