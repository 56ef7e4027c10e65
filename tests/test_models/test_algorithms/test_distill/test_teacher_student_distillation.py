import copy
import os.path as osp
import sys

import pytest
import torch
from mmengine.optim import OptimWrapper

from gml.models.distillers.meal import MEALDiscriminator
from gml.registry import MODELS
from gml.utils.errors import CheckpointError
from tests.test_tools.helpers import ROOT

from ...test_distillers.kd_tiny_models import algorithm_cfg, batch, ft_entry, kd_entry  # noqa: E501


def build(*args, **kwargs):
    torch.manual_seed(0)
    return MODELS.build(algorithm_cfg(*args, **kwargs))


def train_steps(algo, steps, lr=0.05, data=None):
    params = [p for p in algo.parameters() if p.requires_grad]
    wrapper = OptimWrapper(torch.optim.SGD(params, lr=lr, momentum=0.9))
    algo.train()
    logs = [algo.train_step(data or batch(seed=i), wrapper)
            for i in range(steps)]
    return logs


def grads_of(module):
    return {n: p.grad for n, p in module.named_parameters()}


def test_distill_stage_losses_and_gradients():
    algo = build([ft_entry(pretrain=False), kd_entry()])
    assert algo.stage == 'distill'
    algo.train()
    data = algo.data_preprocessor(batch(), True)
    losses = algo(**data, mode='loss')
    assert set(losses) == {'loss', 'layer2_FTdis.loss', 'logits_KD.loss'}
    sum(losses.values()).backward()
    head = algo.distiller.heads['layer2_FTdis']
    # only the student and the student-side connector get gradients
    assert all(g is not None for g in grads_of(algo.student).values()
               if g is not None) and any(
                   g is not None for g in grads_of(algo.student).values())
    assert all(g is not None and g.abs().sum() > 0
               for g in grads_of(head.stu_connector).values())
    assert all(g is None for g in grads_of(algo.distiller.teacher).values())
    assert all(g is None for g in grads_of(head.tea_connector).values())


def test_teacher_never_changes_while_the_student_learns():
    algo = build([ft_entry(pretrain=False), kd_entry()])
    teacher_before = copy.deepcopy(algo.distiller.teacher.state_dict())
    para_before = copy.deepcopy(
        algo.distiller.heads['layer2_FTdis'].tea_connector.state_dict())
    student_before = copy.deepcopy(algo.student.state_dict())
    train_steps(algo, 3)
    # parameters and BN statistics alike: the teacher stays in eval mode
    assert not algo.distiller.teacher.training
    for k, v in algo.distiller.teacher.state_dict().items():
        assert torch.equal(v, teacher_before[k]), k
    for k, v in algo.distiller.heads['layer2_FTdis'].tea_connector \
            .state_dict().items():
        assert torch.equal(v, para_before[k]), k
    changed = [k for k, v in algo.student.state_dict().items()
               if not torch.equal(v, student_before[k])]
    assert any('backbone' in k for k in changed)


def test_meal_trains_a_discriminator_against_the_student():
    algo = build([ft_entry(pretrain=False)], use_meal=True)
    algo.train()
    losses = algo(**algo.data_preprocessor(batch(), True), mode='loss')
    assert 'layer2_FTdis.loss_meal' in losses
    sum(losses.values()).backward()
    disc = algo.distiller.meal['layer2_FTdis']
    assert all(g is not None for g in grads_of(disc).values())
    assert all(g is None for g in grads_of(algo.distiller.teacher).values())


def test_meal_reverses_the_students_gradient():
    torch.manual_seed(0)
    disc = MEALDiscriminator(4, hidden=8)
    s = torch.randn(3, 4, 2, 2, requires_grad=True)
    t = torch.randn(3, 4, 2, 2)
    g_reversed, = torch.autograd.grad(disc(s, t), s)
    s2 = s.detach().requires_grad_()
    score = disc._score(s2)
    plain = torch.nn.functional.binary_cross_entropy_with_logits(
        score, torch.zeros_like(score))
    g_plain, = torch.autograd.grad(plain, s2)
    assert torch.allclose(g_reversed, -g_plain)
    assert g_plain.abs().sum() > 0


def test_checkpoints_hold_no_teacher_and_load_back():
    algo = build([ft_entry(pretrain=False)], use_meal=True)
    state = algo.state_dict()
    assert not any('distiller.teacher.' in k for k in state)
    assert any(k.startswith('architecture.backbone') for k in state)
    assert any('tea_connector' in k for k in state)
    assert any(k.startswith('distiller.meal.') for k in state)
    other = build([ft_entry(pretrain=False)], use_meal=True)
    result = other.load_state_dict(state, strict=True)  # no teacher needed
    assert not result.missing_keys and not result.unexpected_keys
    # mmengine's loader (used by Runner and init_cfg) agrees
    from mmengine.runner.checkpoint import load_state_dict
    load_state_dict(other, state, strict=True)


def test_predict_uses_the_student_only():
    algo = build([kd_entry()]).eval()
    data = algo.data_preprocessor(batch(4), False)
    with torch.no_grad():
        preds = algo(**data, mode='predict')
        direct = algo.student(**data, mode='predict')
    assert len(preds) == 4
    for a, b in zip(preds, direct):
        assert torch.equal(a.pred_score, b.pred_score)


def _pretrain_loss(algo, data):
    algo.train()
    with torch.no_grad():
        return algo(**algo.data_preprocessor(data, True),
                    mode='loss')['layer2_FTdis.loss_pretrain'].item()


def _save_run(algo, work_dir, epoch=2):
    """Write a checkpoint the way mmengine's CheckpointHook does."""
    path = work_dir / f'epoch_{epoch}.pth'
    torch.save({'meta': {'epoch': epoch}, 'state_dict': algo.state_dict()},
               path)
    (work_dir / 'last_checkpoint').write_text(str(path))


def test_two_stages_pretrain_then_load_connectors(tmp_path):
    entries = [ft_entry(pretrain=True)]
    pre = build(entries)
    assert pre.stage == 'pretrain'
    student_before = copy.deepcopy(pre.student.state_dict())
    data = batch(16, seed=1)
    before = _pretrain_loss(pre, data)
    logs = train_steps(pre, 25, lr=0.02, data=data)
    assert set(logs[0]) == {'loss', 'layer2_FTdis.loss_pretrain'}
    after = _pretrain_loss(pre, data)
    assert after < 0.5 * before, (before, after)
    # stage 1 trains only the paraphraser
    for k, v in pre.student.state_dict().items():
        assert torch.equal(v, student_before[k]), k
    _save_run(pre, tmp_path)

    # stage 2: `pretrained` (a latest.pth resolved through last_checkpoint)
    dist = build(entries, pretrained=str(tmp_path / 'latest.pth'))
    assert dist.stage == 'distill'
    para = dist.distiller.heads['layer2_FTdis'].tea_connector
    trained = pre.distiller.heads['layer2_FTdis'].tea_connector.state_dict()
    assert not torch.equal(para.state_dict()['encoder.0.0.weight'],
                           trained['encoder.0.0.weight'])
    dist.init_weights()
    for k, v in para.state_dict().items():
        assert torch.equal(v, trained[k]), k
    assert not any(p.requires_grad for p in para.parameters())


def test_pretrained_without_connector_weights_is_an_error(tmp_path):
    _save_run(build([kd_entry()]), tmp_path)
    algo = build([ft_entry()], pretrained=str(tmp_path / 'epoch_2.pth'))
    with pytest.raises(CheckpointError, match='no weights for distiller.heads.'
                       'layer2_FTdis.tea_connector'):
        algo.init_weights()
    algo = build([ft_entry()], pretrained='${PRETRAIN_WORK_DIR}/latest.pth')
    with pytest.raises(FileNotFoundError, match='PRETRAIN_WORK_DIR'):
        algo.init_weights()


def test_export_student_keeps_only_the_student(tmp_path):
    from gml.models.algorithms.distill.export import (export_student,
                                                      student_checkpoint)
    algo = build([ft_entry(pretrain=False)], use_meal=True)
    _save_run(algo, tmp_path)
    out = tmp_path / 'student.pth'
    n = export_student(str(tmp_path / 'epoch_2.pth'), str(out))
    state = torch.load(out, map_location='cpu')['state_dict']
    assert n == len(state) == len(algo.student.state_dict())
    fresh = MODELS.build(algorithm_cfg([kd_entry()])['model'])
    with pytest.raises(CheckpointError,
                       match='no `architecture.\\*` weights'):
        student_checkpoint({'state_dict': fresh.state_dict()})


def test_export_tool_reports_a_missing_file(tmp_path, capsys):
    sys.path.insert(0, osp.join(ROOT, 'tools', 'kd'))
    import export_student
    with pytest.raises(SystemExit) as e:
        export_student.main([str(tmp_path / 'nope.pth'), 'out.pth'])
    assert e.value.code == 2
    assert 'nope.pth' in capsys.readouterr().err
