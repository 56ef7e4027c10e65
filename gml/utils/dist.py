"""Distributed set-up that works with and without CUDA.

mmengine's ``init_dist`` always calls ``torch.cuda.set_device``; without
CUDA (CPU clusters, CI) gml initialises the gloo process group itself.
"""
import os
import subprocess

import torch
import torch.distributed as torch_dist


def slurm_master_port(job_id: str) -> int:
    """A port per Slurm job, so two jobs on one node do not collide."""
    return 20000 + int(job_id) % 20000


def _export_slurm_env() -> None:
    proc_id = int(os.environ['SLURM_PROCID'])
    nodes = os.environ['SLURM_NODELIST']
    os.environ.setdefault('MASTER_ADDR', subprocess.getoutput(
        f'scontrol show hostname {nodes} | head -n1').strip())
    if 'MASTER_PORT' not in os.environ:
        os.environ['MASTER_PORT'] = str(
            slurm_master_port(os.environ.get('SLURM_JOB_ID', '0')))
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['RANK'] = str(proc_id)
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')


def init_dist(launcher: str, timeout_s: int = 1800) -> str:
    """Join the process group for ``launcher``; return the backend used."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        return torch_dist.get_backend()
    if launcher == 'slurm':
        _export_slurm_env()
    elif launcher == 'mpi':
        os.environ.setdefault('RANK', os.environ['OMPI_COMM_WORLD_RANK'])
        os.environ.setdefault('WORLD_SIZE', os.environ['OMPI_COMM_WORLD_SIZE'])
        os.environ.setdefault('LOCAL_RANK',
                              os.environ['OMPI_COMM_WORLD_LOCAL_RANK'])
        os.environ.setdefault('MASTER_PORT', '29500')
    elif launcher != 'pytorch':
        raise ValueError(f'unknown launcher {launcher!r}; expected one of '
                         'none, pytorch, slurm, mpi')
    import datetime

    # torch.distributed.nn.functional binds ``group=group.WORLD`` as default
    # arguments when first imported; DDP imports it lazily, so imported after
    # the group exists it would hold the default group forever, and
    # destroy_dist could no longer free it (see there).
    import torch.distributed.nn  # noqa: F401
    backend = 'nccl' if torch.cuda.is_available() else 'gloo'
    if backend == 'nccl':
        torch.cuda.set_device(
            int(os.environ['LOCAL_RANK']) % torch.cuda.device_count())
    torch_dist.init_process_group(
        backend=backend,
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        timeout=datetime.timedelta(seconds=timeout_s))
    return backend


def destroy_dist(barrier: bool = True) -> None:
    """Leave the process group before the interpreter shuts down.

    Needed at the end of every distributed run: gloo's worker threads
    release each finished collective's tensors themselves, and tensors
    created in Python need the GIL to be freed. A rank that exits right
    after a collective (rank 1 after mmengine broadcasts the validation
    metrics, while rank 0 still writes the checkpoint) can still have that
    release pending when ``Py_FinalizeEx`` runs; the worker then cannot take
    the GIL, Python ends the thread with ``pthread_exit``, the unwinding
    crosses gloo's noexcept work destructor, and the process aborts with
    "terminate called without an active exception". Destroying the group
    joins those threads while the interpreter is still alive -- provided
    nothing else holds the group: drop the DDP-wrapped model first (its
    reducer holds it; ``ToolSession`` does), and :func:`init_dist` keeps
    ``torch.distributed.nn`` from capturing it.

    Args:
        barrier: wait for every rank first (skip it when leaving on an
            error, where the other ranks may never arrive).
    """
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return
    if barrier:
        torch_dist.barrier()
    torch_dist.destroy_process_group()
