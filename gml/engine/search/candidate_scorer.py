"""Score one subnet of a trained supernet: recalibrate BN, then validate.

Weights shared by all paths come with BatchNorm statistics averaged over
every path sampled in training; they fit no single subnet. SPOS therefore
re-estimates them on a few training batches for each candidate before
scoring it on the validation set.
"""
from itertools import islice
from typing import Dict, List

import torch
import torch.nn as nn
from mmengine.dist import all_reduce, get_world_size
from torch.nn.modules.batchnorm import _BatchNorm


def cache_batches(dataloader, num_batches: int) -> List:
    """The first ``num_batches`` batches, kept so every candidate sees the
    same calibration data (reproducible scores, no reloading)."""
    return list(islice(iter(dataloader), num_batches))


@torch.no_grad()
def recalibrate_bn(model: nn.Module, batches: List) -> None:
    """Recompute BN running statistics of ``model``'s current path."""
    bns = [m for m in model.modules()
           if isinstance(m, _BatchNorm) and m.track_running_stats]
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the batches
    was_training = model.training
    model.train()
    try:
        for batch in batches:
            data = model.data_preprocessor(batch, True)
            model(data['inputs'], data.get('data_samples'), mode='tensor')
    finally:
        model.train(was_training)
        for bn, momentum in zip(bns, momenta):
            bn.momentum = momentum
    if get_world_size() > 1:  # every rank scores with the same statistics
        for bn in bns:
            all_reduce(bn.running_mean, op='mean')
            all_reduce(bn.running_var, op='mean')


@torch.no_grad()
def evaluate(model: nn.Module, dataloader, evaluator) -> Dict[str, float]:
    """Validate ``model`` as mmengine's ValLoop does (metrics gathered over
    ranks: every rank returns the same dict)."""
    model.eval()
    for batch in dataloader:
        outputs = model.val_step(batch)
        evaluator.process(data_samples=outputs, data_batch=batch)
    return evaluator.evaluate(len(dataloader.dataset))
