"""Teacher -> connector pre-training -> distillation -> test -> export,
through tools/train.py and tools/test.py, as users run them (1 epoch each)."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

import gml.registry  # noqa: F401  (allow-lists mmengine checkpoint classes)
from tests.test_tools.helpers import ROOT

CLS = 'configs/kd/factor_transfer/classification'
# 1 epoch of 96 images, validation on 64: the flow is tested, not accuracy
SMALL = ['train_dataloader.dataset.indices=96',
         'val_dataloader.dataset.indices=64',
         'test_dataloader.dataset.indices=64']
ONE_EPOCH = ['--cfg-options', 'train_cfg.max_epochs=1',
             'default_hooks.logger.interval=1'] + SMALL
# the 10-epoch schedule's cosine part starts after epoch 1: keep it valid
ONE_EPOCH_COSINE = ONE_EPOCH + ['param_scheduler.1.end=2']


def tool(*args, env=None):
    env = dict(os.environ, OMP_NUM_THREADS='1', **(env or {}))
    out = subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout + out.stderr


@pytest.mark.slow
def test_two_stage_factor_transfer_with_the_tools(tmp_path):
    teacher, pre, dist = (str(tmp_path / d) for d in ('t', 'pre', 'dist'))
    tool('tools/train.py', f'{CLS}/resnet18_digits_teacher.py',
         '--work-dir', teacher, *ONE_EPOCH_COSINE)
    # the old toolbox's names: latest.pth is resolved via last_checkpoint
    assert not osp.exists(osp.join(teacher, 'latest.pth'))
    env = dict(TEACHER_WORK_DIR=teacher)
    pre_cfg = f'{CLS}/ftloss_resnet18x4_digits_teacher_r18_layer2_pretrain.py'
    log = tool('tools/train.py', pre_cfg, '--work-dir', pre, *ONE_EPOCH,
               env=env)
    assert 'pretrain stage' in log
    assert f'teacher loaded from {teacher}/epoch_1.pth' in log
    assert 'layer2_FTdis.loss_pretrain' in log

    log = tool('tools/train.py',
               f'{CLS}/ftloss_resnet18x4_digits_teacher_r18_layer2_train.py',
               '--work-dir', dist, *ONE_EPOCH_COSINE,
               env=dict(env, PRETRAIN_WORK_DIR=pre))
    assert 'distill stage' in log
    assert ('loaded heads.layer2_FTdis.tea_connector from '
            f'{pre}/epoch_1.pth') in log
    ckpt = torch.load(osp.join(dist, 'epoch_1.pth'), map_location='cpu')
    keys = ckpt['state_dict']
    assert not any('distiller.teacher.' in k for k in keys)
    pre_keys = torch.load(osp.join(pre, 'epoch_1.pth'),
                          map_location='cpu')['state_dict']
    k = 'distiller.heads.layer2_FTdis.tea_connector.encoder.0.0.weight'
    assert torch.equal(keys[k], pre_keys[k])  # frozen after loading

    # testing needs neither the teacher nor the pre-training run
    metrics = str(tmp_path / 'metrics.json')
    tool('tools/test.py',
         f'{CLS}/ftloss_resnet18x4_digits_teacher_r18_layer2_train.py',
         osp.join(dist, 'epoch_1.pth'), '--work-dir', str(tmp_path / 'test'),
         '--out', metrics, '--cfg-options', *SMALL)
    acc = json.load(open(metrics))['accuracy/top1']
    assert 0 <= acc <= 100

    # the exported student is a plain classifier checkpoint, same accuracy
    exported = str(tmp_path / 'student.pth')
    tool('tools/kd/export_student.py', osp.join(dist, 'epoch_1.pth'),
         exported)
    tool('tools/test.py', f'{CLS}/resnet18x4_digits_student.py', exported,
         '--work-dir', str(tmp_path / 'test2'), '--out', metrics,
         '--cfg-options', *SMALL)
    assert json.load(open(metrics))['accuracy/top1'] == pytest.approx(acc)


@pytest.mark.slow
@pytest.mark.slurm
def test_distillation_with_meal_on_slurm_two_tasks(tmp_path):
    """Stage 2 through tools/slurm_train.sh: 2 CPU tasks, DDP over gloo."""
    from gml.registry import MODELS
    from gml.config.loading import load_config
    pre_cfg = f'{CLS}/ftloss_resnet18x4_digits_teacher_r18_layer2_pretrain.py'
    algo = MODELS.build(load_config(osp.join(ROOT, pre_cfg)).model)
    # stand-ins for the teacher and stage-1 runs, as mmengine lays them out
    for name, state in (('t', algo.distiller.teacher.state_dict()),
                        ('pre', algo.state_dict())):
        os.makedirs(tmp_path / name)
        torch.save({'state_dict': state}, tmp_path / name / 'epoch_1.pth')
        (tmp_path / name / 'last_checkpoint').write_text(
            str(tmp_path / name / 'epoch_1.pth'))
    dist = str(tmp_path / 'dist')
    env = dict(os.environ, OMP_NUM_THREADS='1', GPUS='2', GPUS_PER_NODE='0',
               CPUS_PER_TASK='1', PYTHON=sys.executable,
               TEACHER_WORK_DIR=str(tmp_path / 't'),
               PRETRAIN_WORK_DIR=str(tmp_path / 'pre'))
    out = subprocess.run(
        ['sh', 'tools/slurm_train.sh', 'debug', 'gml_kd_test',
         pre_cfg.replace('_pretrain.py', '_train.py'), dist,
         *ONE_EPOCH_COSINE, 'algorithm.distiller.use_meal=True'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    assert 'Distributed launcher: slurm' in log
    assert 'loaded heads.layer2_FTdis.tea_connector' in log
    assert 'layer2_FTdis.loss_meal' in log
    keys = torch.load(osp.join(dist, 'epoch_1.pth'),
                      map_location='cpu')['state_dict']
    assert any(k.startswith('distiller.meal.') for k in keys)
    assert not any('distiller.teacher.' in k for k in keys)
