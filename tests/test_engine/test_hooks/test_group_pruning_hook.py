"""GroupPruningHook inside mmengine's Runner: it prunes before the planned
epochs, the optimizer then steps exactly the pruned model's parameters,
and the spec goes to the work dir and into the checkpoints."""
import os.path as osp

import torch
import yaml

from gml.engine.runner import build_runner
from gml.config.loading import load_config

CONFIG = 'configs/pruning/group/group_resnet18_digits_f50.py'


def test_iterative_pruning_keeps_optimizer_and_checkpoint_in_step(tmp_path):
    cfg = load_config(CONFIG, {
        'train_cfg.max_epochs': 2, 'train_cfg.val_interval': 2,
        'model.prune_epochs': [0, 1],
        'train_dataloader.dataset.indices': 64,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.logger.interval': 1})
    cfg.work_dir = str(tmp_path)
    runner = build_runner(cfg)
    algo = runner.model
    params_before = sum(p.numel() for p in algo.parameters())
    runner.train()

    assert algo.steps_done == 2
    assert sum(p.numel() for p in algo.parameters()) < params_before
    # every parameter the optimizer steps is one of the pruned model's
    model_ids = {id(p) for p in algo.parameters()}
    stepped = [p for g in runner.optim_wrapper.optimizer.param_groups
               for p in g['params']]
    assert {id(p) for p in stepped} == model_ids

    spec = yaml.safe_load(open(osp.join(tmp_path, 'pruning_spec.yaml')))
    assert spec['steps'] == 2 and spec == algo.spec()
    for epoch, steps in ((1, 1), (2, 2)):  # pruned before epochs 0 and 1
        ckpt = torch.load(osp.join(tmp_path, f'epoch_{epoch}.pth'),
                          map_location='cpu', weights_only=False)
        assert ckpt['meta']['group_pruning_spec']['steps'] == steps
    pruned = torch.load(osp.join(tmp_path, 'pruned.pth'),
                        map_location='cpu', weights_only=False)
    assert pruned['state_dict'].keys() == algo.state_dict().keys()
    assert pruned['meta'] == dict(pruning_spec='pruning_spec.yaml')
