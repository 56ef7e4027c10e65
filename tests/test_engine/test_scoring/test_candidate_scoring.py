"""Candidate scoring as a pure function, wherever it runs."""
import pickle
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import DefaultSampler, InfiniteSampler
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.data import DataLoader, DistributedSampler

from gml.engine.scoring.candidate_scorer import (CandidateScorer,
                                                cache_batches, evaluate,
                                                scalar_metrics)
from gml.engine.scoring.pending_generation import PendingGeneration
from gml.engine.scoring.scoring_job import (ScoreCandidate,
                                           save_scoring_context)
from gml.engine.scoring.whole_dataset import whole_dataset_loader
from gml.config.loading import load_config
from tests.data.tiny_supernet import CONFIG, build_tiny_supernet


def as_rank(sampler, rank, world_size):
    """``sampler`` as rank ``rank`` of ``world_size`` would have built it."""
    if isinstance(sampler, DistributedSampler):
        return DistributedSampler(sampler.dataset, world_size, rank,
                                  shuffle=True, seed=3)
    sampler.rank, sampler.world_size = rank, world_size
    if isinstance(sampler, DefaultSampler):
        sampler.num_samples = -(-len(sampler.dataset) // world_size)
        sampler.total_size = sampler.num_samples * world_size
    else:
        sampler.indices = sampler._indices_of_rank()
    return sampler


@pytest.mark.parametrize('make', [
    lambda d: DefaultSampler(d, shuffle=True, seed=3),
    lambda d: InfiniteSampler(d, shuffle=True, seed=3),
    lambda d: DistributedSampler(d, 1, 0, shuffle=True, seed=3)])
def test_whole_dataset_loader_yields_the_one_process_order(make):
    data = list(range(23))

    def first_batches(sampler):  # (an InfiniteSampler is iterated once)
        loader = DataLoader(data, batch_size=4, sampler=sampler)
        return [b.tolist() for b in cache_batches(loader, 5)]

    one = first_batches(make(data))
    assert first_batches(as_rank(make(data), 1, 2)) != one
    shard = DataLoader(data, batch_size=4, sampler=as_rank(make(data), 1, 2))
    whole = whole_dataset_loader(shard)
    assert [b.tolist() for b in cache_batches(whole, 5)] == one


def test_whole_dataset_loader_refuses_unknown_sharding():
    class Sharded:
        world_size = 2

        def __iter__(self):
            return iter([0])

    with pytest.raises(TypeError, match='Sharded shards data across ranks'):
        whole_dataset_loader(DataLoader([1], sampler=Sharded()))


@pytest.fixture(scope='module')
def parts():
    cfg = load_config(CONFIG)
    torch.manual_seed(1)
    model = build_tiny_supernet(cfg)
    scope = DefaultScope.get_instance('test_scoring', scope_name='gml')
    with DefaultScope.overwrite_default_scope(scope.scope_name):
        calib = cache_batches(Runner.build_dataloader(
            cfg.train_dataloader, seed=0), 2)
        val = Runner.build_dataloader(cfg.val_dataloader)
        evaluator = Evaluator(cfg.val_evaluator)
    return model, calib, val, evaluator


def bn_state(model):
    return [t.clone() for m in model.modules() if isinstance(m, _BatchNorm)
            for t in (m.running_mean, m.running_var)]


def test_dispatched_job_scores_like_this_process(parts, tmp_path):
    """A job loads the saved context (a fresh copy of the supernet) and
    gets the same metrics and the same recalibrated BN statistics."""
    model, calib, val, evaluator = parts
    subnet = model.mutator.sample_choices(random.Random(5))
    here = CandidateScorer(model, calib, val, evaluator)
    metrics = here(subnet)
    bn_here = bn_state(model)
    path = str(tmp_path / 'context.pt')
    save_scoring_context(path, model, calib, val, evaluator)
    job = ScoreCandidate(path)
    job = pickle.loads(pickle.dumps(job))  # as submitit ships it
    assert job((7, subnet)) == metrics and 0 < metrics['accuracy/top1']
    bn_job = bn_state(job.scorer().model)
    assert all(torch.equal(a, b) for a, b in zip(bn_here, bn_job))
    # a second candidate does not see the first one's statistics
    other = {n: c[-1] for n, c in model.mutator.search_space.items()}
    assert job((8, other)) == here(other)


def test_local_metrics_equal_gathered_in_one_process(parts):
    model, calib, val, evaluator = parts
    model.mutator.set_choices(model.mutator.default_choices())
    assert evaluate(model, val, evaluator, gather=False) == evaluate(
        model, val, evaluator, gather=True)


def test_scalar_metrics():
    assert scalar_metrics({'a': torch.tensor(2.5), 'b': np.float32(1.5),
                           'c': 3, 'd': [1, 2], 'e': torch.ones(2)}) == {
        'a': 2.5, 'b': 1.5, 'c': 3.0}


def test_pending_generation(tmp_path):
    store = PendingGeneration(str(tmp_path / 'pending'))
    store.reset(0)
    store.save(0, 4, {'a': 'x'}, {'acc': 1.0})
    store.save(0, 5, {'a': 'y'}, {'acc': 2.0})
    # an earlier search's file for id 5 with another subnet is not reused
    assert store.load(0, [(4, {'a': 'x'}), (5, {'a': 'z'}),
                          (6, {'a': 'w'})]) == {4: {'acc': 1.0}}
    store.reset(1)
    assert store.load(0, [(4, {'a': 'x'})]) == {}
