"""Train and validate one model on this process alone.

The morphism evolution trains a different child on every rank, so nothing
here may talk to the other ranks: data is not sharded (every child sees the
whole training set, in an order fixed by its own seed) and metrics are
computed locally instead of through mmengine's gathering ``Evaluator``.
The same child therefore trains to the same weights on any rank and in any
run, which is what makes a resumed evolution equal an uninterrupted one.
"""
import copy
import time
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from torch.utils.data import DataLoader, RandomSampler


def local_loader(dataset, batch_size: int, shuffle: bool,
                 seed: int = 0) -> DataLoader:
    """A non-distributed loader; shuffled by its own seeded generator."""
    sampler = None
    if shuffle:
        sampler = RandomSampler(
            dataset, generator=torch.Generator().manual_seed(seed))
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler,
                      shuffle=False, collate_fn=pseudo_collate,
                      num_workers=0)


@torch.no_grad()
def evaluate_local(model: nn.Module, dataloader, evaluator
                   ) -> Dict[str, float]:
    """mmengine's validation, computed on this process only."""
    model.eval()
    for batch in dataloader:
        outputs = model.val_step(batch)
        evaluator.process(data_samples=outputs, data_batch=batch)
    metrics = {}
    for metric in evaluator.metrics:
        values = metric.compute_metrics(metric.results)
        metric.results.clear()
        for key, value in values.items():
            name = f'{metric.prefix}/{key}' if metric.prefix else key
            metrics[name] = float(value)
    return metrics


def train_epochs(model: nn.Module, dataset, batch_size: int,
                 optim_cfg: Dict, epochs: int, seed: int,
                 val_loader=None, evaluator=None,
                 score_key: Optional[str] = None,
                 lr_schedule: str = 'cosine') -> Dict[str, List[float]]:
    """Train ``model`` for ``epochs`` with a fresh optimizer from
    ``optim_cfg`` (an ``optim_wrapper`` config); validate after each epoch
    when ``val_loader`` is given.

    Returns ``train_loss`` and ``val_metric`` per epoch and
    ``training_time`` in seconds.
    """
    if lr_schedule not in ('cosine', 'constant'):
        raise ValueError(f"lr_schedule must be 'cosine' or 'constant', got "
                         f'{lr_schedule!r}')
    torch.manual_seed(seed)  # dropout masks
    loader = local_loader(dataset, batch_size, True, seed)
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(optim_cfg))
    scheduler = None
    if lr_schedule == 'cosine' and epochs > 0:
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
            optim_wrapper.optimizer, T_max=epochs * len(loader))
    log = dict(train_loss=[], val_metric=[])
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for batch in loader:
            log_vars = model.train_step(batch, optim_wrapper)
            total += float(log_vars['loss'].detach())
            count += 1
            if scheduler is not None:
                scheduler.step()
        log['train_loss'].append(total / max(count, 1))
        if val_loader is not None:
            metrics = evaluate_local(model, val_loader, evaluator)
            if score_key not in metrics:
                raise KeyError(f'score_key {score_key!r} is not among the '
                               f'evaluator\'s metrics {sorted(metrics)}')
            log['val_metric'].append(metrics[score_key])
    log['training_time'] = time.perf_counter() - start
    return log
