"""The configs under configs/kd/ and the documented snippet build."""
import os.path as osp
import textwrap

import pytest
import torch

from gml.registry import MODELS
from gml.config.loading import load_config
from tests.test_tools.helpers import ROOT

from ...test_distillers.kd_tiny_models import batch  # noqa: E501

CLS = osp.join(ROOT, 'configs/kd/factor_transfer/classification')
PRETRAIN = osp.join(
    CLS, 'ftloss_resnet18x4_digits_teacher_r18_layer2_pretrain.py')

# The toolbox's documented FTLoss example, verbatim but for the channels of
# the digits pair (student layer2: 8, teacher layer2: 32).
SNIPPET = '''
_base_ = [{base!r}]
teacher = dict(
    student_module='backbone.layer2',
    teacher_module='backbone.layer2',
    head=dict(
        type='FTDistillationHead',
        loss=dict(type='FTLoss', loss_weight=10.),
        name='neck_FTdis_stage3',
        stu_connector=dict(
            type='Translator', in_channel=8, out_channel=128),
        tea_connector=dict(
            type='Paraphraser',
            in_channel=32,
            out_channel=128,
            pretrain_criterion=dict(
                type='MSELoss', loss_weight=10.0)))),

algorithm = dict(
    type='TeacherStudentDistillation',
    model={{{{_base_.model}}}},
    distiller=dict(
        type='TeacherDistiller',
        distill_cfg=teacher,
        use_meal=True,
    ),
    pretrained='${{PRETRAIN_WORK_DIR}}/latest.pth',
    init_cfg=dict(
        type='Pretrained', checkpoint='${{PRETRAIN_WORK_DIR}}/latest.pth')
)
'''


def test_documented_snippet_builds_and_computes_losses(tmp_path,
                                                       monkeypatch):
    monkeypatch.setenv('PRETRAIN_WORK_DIR', str(tmp_path / 'pre'))
    path = tmp_path / 'snippet.py'
    path.write_text(SNIPPET.format(base=PRETRAIN))
    cfg = load_config(str(path))
    assert cfg.model.pretrained == f'{tmp_path}/pre/latest.pth'
    assert cfg.model.init_cfg.checkpoint == f'{tmp_path}/pre/latest.pth'
    algo = MODELS.build(cfg.model)
    assert type(algo).__name__ == 'TeacherStudentDistillation'
    assert algo.stage == 'distill'  # `pretrained` given
    assert list(algo.distiller.heads) == ['neck_FTdis_stage3']
    assert 'neck_FTdis_stage3' in algo.distiller.meal
    algo.train()
    losses = algo(**algo.data_preprocessor(batch(4), True), mode='loss')
    assert {'neck_FTdis_stage3.loss', 'neck_FTdis_stage3.loss_meal',
            'loss'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    # the stage-2 file is missing: a clear error when training starts
    with pytest.raises(FileNotFoundError, match='last_checkpoint'):
        algo.init_weights()


@pytest.mark.parametrize('config, stage, heads', [
    (PRETRAIN, 'pretrain', ['layer2_FTdis']),
    (PRETRAIN.replace('_pretrain.py', '_train.py'), 'distill',
     ['layer2_FTdis']),
    (osp.join(ROOT, 'configs/kd/logits_kd/'
              'kd_resnet18x4_digits_teacher_r18.py'), 'distill', ['logits_KD']),
])
def test_classification_configs_build(config, stage, heads):
    algo = MODELS.build(load_config(config).model)
    assert algo.stage == stage
    assert list(algo.distiller.heads) == heads
    teacher = sum(p.numel() for p in algo.distiller.teacher.parameters())
    student = sum(p.numel() for p in algo.student.parameters())
    assert student * 10 < teacher


def test_missing_teacher_work_dir_is_named(monkeypatch):
    monkeypatch.delenv('TEACHER_WORK_DIR', raising=False)
    algo = MODELS.build(load_config(PRETRAIN).model)
    with pytest.raises(FileNotFoundError, match='TEACHER_WORK_DIR is not set'):
        algo.init_weights()
