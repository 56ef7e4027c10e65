"""The old toolbox's SPOS supernet config, as its usage document prints it,
loads and trains with gml's ``_base_`` files of the same names.

The shipped ImageNet supernet config starts with that text verbatim (from
``_base_ = [`` to ``find_unused_parameters = True``, Chinese comments
included); the tests run that part alone, without gml's additions.
"""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SHIPPED = osp.join(ROOT, 'configs', 'nas', 'spos',
                   'spos_shufflenetv2_supernet_8xb128_in1k.py')


def seed_text() -> str:
    text = open(SHIPPED, encoding='utf-8').read()
    start = text.index('_base_ = [')
    end = text.index('find_unused_parameters = True\n') + len(
        'find_unused_parameters = True\n')
    return text[start:end]


@pytest.fixture
def seed_config(tmp_path):
    """The seed text at configs/nas/spos/ of a tree whose _base_ is ours."""
    configs = tmp_path / 'configs'
    (configs / 'nas' / 'spos').mkdir(parents=True)
    os.symlink(osp.join(ROOT, 'configs', '_base_'), configs / '_base_')
    path = configs / 'nas' / 'spos' / 'spos_supernet_seed.py'
    path.write_text(seed_text(), encoding='utf-8')
    return str(path)


def test_seed_text_is_the_documented_one():
    text = seed_text()
    assert "'../../_base_/datasets/mmcls/imagenet_bs128_colorjittor.py', " \
        "# 数据相关基础配置" in text
    assert ("algorithm = dict(type='gml.SPOS', model=model, mutator=mutator)"
            "\nrunner = dict(max_iters=150000)\nevaluation = dict("
            "interval=1000, metric='accuracy', by_epoch=False)\n"
            "# checkpoint saving\ncheckpoint_config = dict(interval=1000)\n"
            ) in text
    assert 'val_cfg' not in text  # gml's additions come after it


def test_seed_config_loads_with_its_settings(seed_config):
    from gml.config.loading import load_config
    cfg = load_config(seed_config)
    assert cfg.model.type == 'gml.SPOS'
    assert cfg.model.model.head.num_classes == 1000
    # runner/evaluation/checkpoint_config/find_unused_parameters translated
    assert cfg.train_cfg == dict(by_epoch=False, max_iters=150000,
                                 val_interval=1000)
    assert cfg.val_evaluator.type == 'Accuracy'
    assert tuple(cfg.val_evaluator.topk) == (1, 5)
    assert cfg.default_hooks.checkpoint.interval == 1000
    assert cfg.default_hooks.checkpoint.by_epoch is False
    assert cfg.model_wrapper_cfg.find_unused_parameters is True
    # the schedule base: SGD 0.5, poly decay ending with the run
    assert cfg.optim_wrapper.optimizer.lr == 0.5
    assert cfg.param_scheduler.type == 'PolyLR'
    assert 'end' not in cfg.param_scheduler
    # the dataset base: 128 images per GPU with colour jitter, streamed
    assert cfg.train_dataloader.batch_size == 128
    assert any(t.type.endswith('ColorJitter')
               for t in cfg.train_dataloader.dataset.pipeline)
    assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'


def _tiny_imagenet(root):
    """Two images of two classes in ImageNet's layout, with meta lists."""
    import cv2
    rng = np.random.default_rng(0)
    for split, n in (('train', 4), ('val', 2)):
        lines = []
        for k in range(n):
            cls = ('n01440764', 'n01443537')[k % 2]
            os.makedirs(osp.join(root, split, cls), exist_ok=True)
            cv2.imwrite(osp.join(root, split, cls, f'{k}.JPEG'),
                        rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
            lines.append(f'{cls}/{k}.JPEG {k % 2}\n')
        os.makedirs(osp.join(root, 'meta'), exist_ok=True)
        with open(osp.join(root, 'meta', f'{split}.txt'), 'w') as f:
            f.writelines(lines)


@pytest.mark.slow
def test_seed_config_trains_through_the_tool(seed_config, tmp_path):
    """As written, only the data location and the run's length changed."""
    data = str(tmp_path / 'imagenet')
    _tiny_imagenet(data)
    work_dir = str(tmp_path / 'work')
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', seed_config, '--work-dir',
         work_dir, '--cfg-options',
         f'train_dataloader.dataset.data_root={data}',
         'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
         f'val_dataloader.dataset.data_root={data}',
         'val_dataloader.num_workers=0',
         'runner.max_iters=2', 'checkpoint_config.interval=2',
         'default_hooks.logger.interval=1'],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout
    assert 'Iter(train) [2/2]' in log
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
