"""The documented detection pair (mmdet YOLOv3: MobileNetV2 student,
Darknet-53 teacher) builds and computes its losses. There is no COCO and no
network here: random-initialised teacher, tiny random images."""
import os.path as osp

import pytest
import torch

from gml.registry import MODELS
from gml.config.loading import load_config
from tests.test_tools.helpers import ROOT

# mmdet.models needs full mmcv with its compiled ops (tools/install.sh
# --detection). conftest skips `detection` tests only on a core install.
pytestmark = pytest.mark.detection

pytestmark = pytest.mark.detection

DET = osp.join(ROOT, 'configs/kd/factor_transfer/detection/yolov3/'
               'ftloss_yolov3_mobilenetv2_320_300e_coco_teacher_d53_neck_')


def tiny_batch(algo):
    from mmdet.testing import demo_mm_inputs
    torch.manual_seed(0)
    data = demo_mm_inputs(batch_size=2, image_shapes=[(3, 64, 64)] * 2,
                          num_items=[3, 2], num_classes=80)
    return algo.data_preprocessor(data, True)


@pytest.mark.parametrize('stage', ['pretrain', 'train'])
def test_yolov3_pair_builds_and_computes_losses(stage, monkeypatch, tmp_path):
    monkeypatch.setenv('PRETRAIN_WORK_DIR', str(tmp_path))
    cfg = load_config(DET + f'{stage}.py')
    algo = MODELS.build(cfg.model)
    assert type(algo.student).__name__ == 'YOLOV3'
    assert type(algo.student.backbone).__name__ == 'MobileNetV2'
    assert type(algo.distiller.teacher.backbone).__name__ == 'Darknet'
    assert algo.stage == ('pretrain' if stage == 'pretrain' else 'distill')
    algo.train()
    losses = algo(**tiny_batch(algo), mode='loss')
    if stage == 'pretrain':
        assert set(losses) == {'neck_FTdis_stage3.loss_pretrain'}
    else:
        assert {'loss_cls', 'loss_conf', 'loss_xy', 'loss_wh',
                'neck_FTdis_stage3.loss',
                'neck_FTdis_stage3.loss_meal'} <= set(losses)
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v)
                for v in losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert all(p.grad is None for p in algo.distiller.teacher.parameters())
    head = algo.distiller.heads['neck_FTdis_stage3']
    trained = head.tea_connector if stage == 'pretrain' else head.stu_connector
    assert all(p.grad is not None for p in trained.parameters())
