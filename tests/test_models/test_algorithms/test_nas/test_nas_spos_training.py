"""A small SPOS supernet really learns, and its subnets score differently.

Tiny setting (seconds on a CPU): the plain 8x8 digits, 4 choice blocks with
shared projections, 120 steps of the digits recipe (SGD + nesterov,
label smoothing, BN re-estimated before scoring).
"""
import random

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from gml.engine.scoring.candidate_scorer import (cache_batches, evaluate,
                                                recalibrate_bn)
from gml.registry import MODELS

STEPS = 120
PATHS = 6  # fixed random paths whose loss is followed


def build_spos(share_projections=True):
    backbone = dict(type='gml.ShuffleNetV2_OneShot', widen_factor=0.25,
                    stem_channels=16, stem_stride=1, last_channels=64,
                    stage_blocks=(1, 1, 1, 1), strides=(1, 2, 1, 1),
                    share_projections=share_projections)
    model = dict(
        type='mmcls.ImageClassifier', backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
                  loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                            mode='original')),
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor',
                               num_classes=10, mean=[40.0] * 3,
                               std=[75.0] * 3))
    return MODELS.build(dict(type='gml.SPOS', model=model,
                             mutator=dict(type='gml.StatelessMutator')))


def loader(split, batch_size, shuffle):
    return Runner.build_dataloader(dict(
        batch_size=batch_size, num_workers=0,
        dataset=dict(type='gml.DigitsDataset', split=split,
                     pipeline=[dict(type='mmpretrain.PackInputs')]),
        sampler=dict(type='DefaultSampler', shuffle=shuffle, seed=0),
        collate_fn=dict(type='default_collate')), seed=0)


def paths_loss(spos, paths, batch):
    """Mean loss of ``paths`` on one batch, BN in training mode."""
    spos.train()
    data = spos.data_preprocessor(batch, True)
    losses = []
    with torch.no_grad():
        for path in paths:
            spos.set_subnet(path)
            losses.append(spos.architecture(
                data['inputs'], data['data_samples'], mode='loss')['loss'])
    return float(torch.stack(losses).mean())


@pytest.fixture(scope='module')
def trained():
    torch.manual_seed(0)
    spos = build_spos()
    train = loader('train', 32, True)
    probe = next(iter(loader('val', 128, False)))
    rng = random.Random(0)
    paths = [spos.mutator.sample_choices(rng) for _ in range(PATHS)]
    before = paths_loss(spos, paths, probe)
    wrapper = build_optim_wrapper(spos, dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, nesterov=True,
                       weight_decay=4e-5),
        paramwise_cfg=dict(bypass_duplicate=True)))
    step = 0
    while step < STEPS:
        for batch in train:
            spos.train()
            spos.train_step(batch, wrapper)  # samples a new path each step
            step += 1
            if step == STEPS:
                break
    after = paths_loss(spos, paths, probe)
    return spos, before, after


def test_supernet_training_lowers_the_loss_of_sampled_paths(trained):
    _, before, after = trained
    assert before > 2.0  # ~ln(10): untrained
    assert after < 0.5 * before, (before, after)  # 2.31 -> 0.76 measured


def score(spos, subnet, calib, val, evaluator):
    spos.set_subnet(subnet)
    recalibrate_bn(spos, calib)
    return evaluate(spos, val, evaluator)['accuracy/top1']


def test_default_path_clearly_above_chance_and_scores_vary(trained):
    spos, _, _ = trained
    calib = cache_batches(loader('train', 32, True), 8)
    val = loader('val', 128, False)
    evaluator = Runner.build_evaluator(
        None, dict(type='mmpretrain.Accuracy', topk=(1, )))
    default = score(spos, spos.mutator.default_choices(), calib, val,
                    evaluator)
    assert default > 80.0, default  # chance: 10 %; measured 96.4
    rng = random.Random(1)
    scores = [score(spos, spos.mutator.sample_choices(rng), calib, val,
                    evaluator) for _ in range(6)]
    assert len(set(scores)) > 1, scores  # the search has something to rank
    assert min(scores) > 60.0, scores
