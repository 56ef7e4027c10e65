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
