"""Detection KD on the digits detection task, through the tools as users
run them: teacher -> connector pre-training -> distillation -> test with
``--eval bbox`` -> export the student -> test it as a plain mmdet detector.
The stages run a few iterations; the teacher trains long enough (4 epochs)
to score clearly above a random detector (the "mAP stays 0" failure)."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from gml.datasets.digits_det import write_digits_det
from tests.test_tools.helpers import ROOT

pytestmark = [pytest.mark.detection, pytest.mark.slow]

DET = 'configs/kd/factor_transfer/detection/yolov3'
TEACHER = f'{DET}/yolov3_r18_digits_det_teacher.py'
STUDENT = f'{DET}/yolov3_mobilenetv2_digits_det_student.py'
FT = f'{DET}/ftloss_yolov3_mobilenetv2_digits_det_teacher_r18_neck_'
# 2 iterations of 16 images per stage; evaluation on 50 test images
FEW = ['train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=32',
       'default_hooks.logger.interval=1']
TEST50 = ['test_dataloader.dataset.indices=50']
# 2 epochs left the teacher at mAP@0.5 0.019-0.02 on 50 images, on the
# edge of the check below, which one CPU's kernels then missed; 4 do not
TEACHER_EPOCHS = 4


def tool(*args, env=None):
    env = dict(os.environ, OMP_NUM_THREADS='1', **(env or {}))
    out = subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout + out.stderr


def test_bbox(config, ckpt, tmp_path, name, *options):
    out = str(tmp_path / f'{name}.json')
    tool('tools/test.py', config, ckpt, '--eval', 'bbox', '--out', out,
         '--work-dir', str(tmp_path / name), '--cfg-options', *TEST50,
         *options)
    return json.load(open(out))


test_bbox.__test__ = False  # a helper, not a test


@pytest.fixture(scope='module')
def teacher(tmp_path_factory):
    write_digits_det(osp.join(ROOT, 'data', 'digits_det'))  # idempotent
    work = tmp_path_factory.mktemp('teacher')
    tool('tools/train.py', TEACHER, '--work-dir', str(work), '--cfg-options',
         f'train_cfg.max_epochs={TEACHER_EPOCHS}',
         'train_cfg.val_interval=100',
         f'param_scheduler.1.T_max={TEACHER_EPOCHS}')
    return work


def test_briefly_trained_teacher_scores_clearly_above_random(teacher,
                                                             tmp_path):
    from mmengine.runner import save_checkpoint

    from gml.registry import MODELS
    from gml.config.loading import load_config
    torch.manual_seed(0)
    model = MODELS.build(load_config(osp.join(ROOT, TEACHER)).model)
    model.init_weights()
    save_checkpoint({'state_dict': model.state_dict()},
                    str(tmp_path / 'random.pth'))
    rand = test_bbox(TEACHER, str(tmp_path / 'random.pth'), tmp_path, 'r')
    trained = test_bbox(TEACHER, str(teacher / f'epoch_{TEACHER_EPOCHS}.pth'),
                        tmp_path, 't')
    # a random detector may have no box above score_thr at all: CocoMetric
    # then reports no bbox keys, i.e. mAP 0
    rand_50 = rand.get('coco/bbox_mAP_50', 0.)
    rand_map = rand.get('coco/bbox_mAP', 0.)
    assert rand_50 < 0.005
    assert trained['coco/bbox_mAP_50'] > 0.02
    assert trained['coco/bbox_mAP'] > 5 * max(rand_map, 1e-3)


def test_two_stage_ft_then_test_and_the_exported_student(teacher, tmp_path):
    pre, dist = str(tmp_path / 'pre'), str(tmp_path / 'dist')
    env = dict(TEACHER_WORK_DIR=str(teacher))
    log = tool('tools/train.py', FT + 'pretrain.py', '--work-dir', pre,
               '--cfg-options', *FEW, env=env)
    assert 'pretrain stage' in log and 'neck_FTdis_stage3.loss_pretrain' in log
    assert f'teacher loaded from {teacher}/epoch_{TEACHER_EPOCHS}.pth' in log
    log = tool('tools/train.py', FT + 'train.py', '--work-dir', dist,
               '--cfg-options', *FEW, 'param_scheduler.1.T_max=1',
               f'algorithm.pretrained={pre}/latest.pth', env=env)
    assert 'distill stage' in log and 'neck_FTdis_stage3.loss' in log
    assert 'loss_cls' in log

    # a low score threshold so the barely trained student has detections
    # and the two mAPs compared below are not both 0
    low = ['model.test_cfg.score_thr=0.0', 'model.test_cfg.conf_thr=0.0']
    distilled = test_bbox(FT + 'train.py', f'{dist}/latest.pth', tmp_path,
                          'd', *['algorithm.' + o for o in low])
    # After 2 iterations the student's mAP is 0.0 even at score_thr 0 (the
    # teacher-above-random test above guards the "mAP stays 0" failure), so
    # the exported student is compared with the distilled one on every
    # metric CocoMetric reports, and on its weights below.
    assert 0 <= distilled['coco/bbox_mAP'] <= 1

    exported = str(tmp_path / 'student.pth')
    tool('tools/kd/export_student.py', f'{dist}/latest.pth', exported)
    keys = torch.load(exported, map_location='cpu')['state_dict']
    assert keys and not any(k.startswith(('distiller.', 'architecture.'))
                            for k in keys)
    # latest.pth is the tools' name; mmengine writes last_checkpoint
    with open(f'{dist}/last_checkpoint') as f:
        dist_sd = torch.load(f.read().strip(), map_location='cpu')[
            'state_dict']
    for k, v in keys.items():
        assert torch.equal(v, dist_sd[f'architecture.{k}']), k
    alone = test_bbox(STUDENT, exported, tmp_path, 's', *low)
    assert alone == distilled
