"""A tiny SPOS supernet on the embedded digits and an in-process Pareto
search over it (4 choice blocks = 256 subnets; seconds on a CPU)."""
import copy
import os
import os.path as osp
import uuid

import torch
from mmengine.config import Config

from gml.engine.runner import build_runner
from gml.engine.estimators.latency import LatencyTable
from gml.registry import MODELS

MODEL = dict(
    type='mmcls.ImageClassifier',
    backbone=dict(type='gml.ShuffleNetV2_OneShot', widen_factor=0.25,
                  stem_channels=8, stem_stride=1, last_channels=32,
                  stage_blocks=(1, 1, 1, 1), strides=(1, 2, 2, 1),
                  norm_cfg=dict(type='BN')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=32,
              loss=dict(type='CrossEntropyLoss'), topk=(1, )))
PREPROCESSOR = dict(type='mmpretrain.ClsDataPreprocessor', num_classes=10,
                    mean=[40.0] * 3, std=[75.0] * 3, to_rgb=False)


def dataloader(split, n, batch_size=16):
    return dict(batch_size=batch_size, num_workers=0,
                dataset=dict(type='gml.DigitsDataset', split=split,
                             indices=n, pipeline=[dict(
                                 type='mmpretrain.PackInputs')]),
                sampler=dict(type='DefaultSampler', shuffle=False))


def base_cfg(work_dir, **overrides):
    cfg = dict(
        default_scope='gml', work_dir=str(work_dir),
        experiment_name=f'test_{uuid.uuid4().hex[:8]}',
        data_preprocessor=PREPROCESSOR,
        model=dict(type='gml.SPOS', model=copy.deepcopy(MODEL),
                       mutator=dict(type='gml.StatelessMutator')),
        train_dataloader=dataloader('train', 32),
        val_dataloader=dataloader('val', 32, 32),
        val_evaluator=dict(type='mmpretrain.Accuracy', topk=(1, )),
        val_cfg=dict(type='gml.SubnetValLoop', calibrate_batches=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook',
                                           interval=100)),
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        randomness=dict(seed=0), log_level='WARNING')
    cfg.update(overrides)
    return cfg


def search_cfg(work_dir, **train_cfg):
    loop = dict(type='gml.ParetoSearchLoop', max_epochs=3, num_candidates=4,
                top_k=2, input_shape=(3, 8, 8), calibrate_batches=1,
                objectives=dict(score='max', latency_ms='min',
                                flops_M='min'))
    loop.update(train_cfg)
    return base_cfg(work_dir, train_cfg=loop)


def run_search(work_dir, **train_cfg):
    cfg = Config(search_cfg(work_dir, **train_cfg))
    runner = build_runner(cfg)
    runner.train()
    return runner.train_loop


def build_supernet(seed=0):
    torch.manual_seed(seed)
    return MODELS.build(dict(type='gml.SPOS', model=copy.deepcopy(MODEL),
                             mutator=dict(type='gml.StatelessMutator'),
                             data_preprocessor=PREPROCESSOR))


def shared_lut(path, **measure):
    """A latency table several runs share (so their latencies compare)."""
    if not osp.isfile(path):
        spos = build_supernet()
        LatencyTable.load_or_measure(path, spos.architecture, spos.mutator,
                                     (3, 8, 8), 1, **measure)
    return path


def write_subnet_config(path, train_images=16, val_images=32, epochs=1):
    """A retraining config of the tiny supernet's subnets, in the old
    toolbox's shape (``algorithm.mutable_cfg`` picks the subnet)."""
    cfg = base_cfg(osp.dirname(path))
    cfg.pop('work_dir')
    cfg.pop('experiment_name')
    cfg['algorithm'] = dict(cfg.pop('model'), require_subnet=True)
    cfg.update(train_dataloader=dataloader('train', train_images),
               val_dataloader=dataloader('val', val_images, val_images),
               train_cfg=dict(by_epoch=True, max_epochs=epochs,
                              val_interval=epochs),
               val_cfg=dict())
    os.makedirs(osp.dirname(path), exist_ok=True)
    Config(cfg).dump(path)
    return path


def saved_weights_top1(yaml_path, ckpt, work_dir):
    """Validation top-1 of the subnet config with the saved checkpoint."""
    from gml.utils.checkpoint import (check_state_dict_fits,
                                      load_checkpoint_file, state_dict_of)
    cfg = base_cfg(work_dir, val_cfg=dict(type="ValLoop"),
                   train_dataloader=None, optim_wrapper=None)
    cfg['model']['mutable_cfg'] = str(yaml_path)
    runner = build_runner(Config(cfg))
    state = state_dict_of(load_checkpoint_file(str(ckpt)))
    check_state_dict_fits(runner.model, state, str(ckpt))
    assert set(state) == set(runner.model.state_dict())  # nothing extra
    runner.model.load_state_dict(state)
    return runner.val_loop.run()['accuracy/top1']
