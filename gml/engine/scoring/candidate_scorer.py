"""Score one subnet of a trained supernet: recalibrate BN, then validate.

Weights shared by all paths come with BatchNorm statistics averaged over
every path sampled in training; they fit no single subnet. SPOS therefore
re-estimates them on a few training batches for each candidate before
scoring it on the validation set.

A candidate's metrics are a pure function of (subnet, supernet weights,
calibration batches, validation data): :class:`CandidateScorer` computes it
wherever it runs (one rank, one of N ranks, a dispatched job) and gives the
same numbers for the same inputs.
"""
from itertools import islice
from numbers import Number
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
def recalibrate_bn(model: nn.Module, batches: List,
                   sync: bool = True) -> None:
    """Recompute BN running statistics of ``model``'s current path.

    Args:
        sync: average the statistics over ranks (each rank calibrated on
            its own batches); False when every rank scores its own
            candidates.
    """
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
    if sync and get_world_size() > 1 and bns:
        # one collective for all layers: a supernet has hundreds of BNs
        # and each all-reduce costs milliseconds of latency
        stats = [t for bn in bns for t in (bn.running_mean, bn.running_var)]
        flat = torch.cat([t.flatten() for t in stats])
        all_reduce(flat, op='mean')
        for t, part in zip(stats, flat.split([t.numel() for t in stats])):
            t.copy_(part.view_as(t))


@torch.no_grad()
def evaluate(model: nn.Module, dataloader, evaluator,
             gather: bool = True) -> Dict[str, float]:
    """Validate ``model`` as mmengine's ValLoop does.

    Args:
        gather: collect the predictions of all ranks (each saw a shard of
            the data; every rank returns the same dict). False computes the
            metrics of this process's predictions alone, for a rank that
            scored the whole dataset by itself.
    """
    model.eval()
    for batch in dataloader:
        outputs = model.val_step(batch)
        evaluator.process(data_samples=outputs, data_batch=batch)
    size = len(dataloader.dataset)
    if gather:
        return evaluator.evaluate(size)
    metrics = {}
    for metric in evaluator.metrics:
        # BaseMetric.evaluate without its collective collect/broadcast
        results = metric.results[:size]
        computed = metric.compute_metrics(results)
        metric.results.clear()
        if metric.prefix:
            computed = {f'{metric.prefix}/{k}': v for k, v in computed.items()}
        for name in computed:
            if name in metrics:
                raise ValueError(f'two metrics are both named {name!r}; give '
                                 'them different prefixes')
        metrics.update(computed)
    return metrics


def scalar_metrics(metrics: Dict) -> Dict[str, float]:
    """The scalar entries of ``metrics`` as Python floats (JSON-safe)."""
    out = {}
    for name, value in metrics.items():
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        elif hasattr(value, 'item') and getattr(value, 'size', 0) == 1:
            value = value.item()  # numpy scalar or 1-element array
        if isinstance(value, Number):
            out[name] = float(value)
    return out


class CandidateScorer:
    """Metrics of subnets of one supernet.

    Each call sets the subnet, re-estimates BN on ``calib_batches`` and
    validates on ``dataloader``: a pure function of the subnet, the weights,
    the calibration batches and the data.

    Args:
        model: the supernet algorithm (e.g. ``gml.SPOS``, not a DDP wrapper).
        calib_batches: cached training batches for BN recalibration.
        dataloader: the validation data.
        evaluator: an mmengine ``Evaluator``.
        distributed: ``dataloader`` is this rank's shard and the statistics
            and metrics are reduced over ranks (``score_mode='data'``).
            False: this process scores on the whole dataset alone.
    """

    def __init__(self, model: nn.Module, calib_batches: List, dataloader,
                 evaluator, distributed: bool = False):
        self.model = model
        self.calib_batches = calib_batches
        self.dataloader = dataloader
        self.evaluator = evaluator
        self.distributed = distributed

    def __call__(self, subnet: Dict) -> Dict[str, float]:
        self.model.mutator.set_choices(subnet)
        recalibrate_bn(self.model, self.calib_batches, sync=self.distributed)
        metrics = evaluate(self.model, self.dataloader, self.evaluator,
                           gather=self.distributed)
        return scalar_metrics(metrics)
