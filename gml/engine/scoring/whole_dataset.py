"""A rank's dataloader as one process would see it: the whole dataset.

Under ``torch.distributed`` mmengine's samplers give each rank a shard. A
rank that scores candidates on its own needs the whole validation set, and
calibration batches equal to those of a one-process search (same seed, same
order), so that the records do not depend on the number of ranks.
"""
import copy

from mmengine.dataset import DefaultSampler, InfiniteSampler
from torch.utils.data import DataLoader, DistributedSampler


def undistributed_sampler(sampler):
    """A copy of ``sampler`` that yields what it would with one rank."""
    s = copy.copy(sampler)
    if isinstance(s, DefaultSampler):
        s.rank, s.world_size = 0, 1
        s.num_samples = s.total_size = len(s.dataset)
    elif isinstance(s, InfiniteSampler):
        s.rank, s.world_size = 0, 1
        s.indices = s._indices_of_rank()  # a fresh, unconsumed generator
    elif isinstance(s, DistributedSampler):
        s.rank, s.num_replicas = 0, 1
        s.num_samples = s.total_size = len(s.dataset)
    elif (getattr(s, 'world_size', 1) != 1
          or getattr(s, 'num_replicas', 1) != 1):
        raise TypeError(
            f'{type(s).__name__} shards data across ranks and gml cannot '
            'make it yield the whole dataset; use DefaultSampler or '
            "InfiniteSampler, or train_cfg.score_mode='data'")
    return s


def whole_dataset_loader(dataloader: DataLoader) -> DataLoader:
    """``dataloader`` with its sampler made undistributed (same dataset,
    batch size, collate function, workers)."""
    sampler = undistributed_sampler(dataloader.sampler)
    kwargs = dict(num_workers=dataloader.num_workers,
                  collate_fn=dataloader.collate_fn,
                  pin_memory=dataloader.pin_memory,
                  worker_init_fn=dataloader.worker_init_fn,
                  timeout=dataloader.timeout)
    if dataloader.num_workers > 0:
        kwargs.update(persistent_workers=dataloader.persistent_workers,
                      prefetch_factor=dataloader.prefetch_factor)
    if dataloader.batch_size is not None:  # a plain BatchSampler
        return DataLoader(dataloader.dataset,
                          batch_size=dataloader.batch_size, sampler=sampler,
                          drop_last=dataloader.drop_last, **kwargs)
    batch_sampler = copy.copy(dataloader.batch_sampler)
    batch_sampler.sampler = sampler
    return DataLoader(dataloader.dataset, batch_sampler=batch_sampler,
                      **kwargs)
