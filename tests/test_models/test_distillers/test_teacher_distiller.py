import os.path as osp

import pytest
import torch

from gml.models.distillers import resolve_checkpoint
from gml.registry import MODELS
from .kd_tiny_models import ft_entry, kd_entry, tiny_classifier


def distiller(entries, **kwargs):
    return MODELS.build(dict(type='TeacherDistiller',
                             teacher=tiny_classifier(4),
                             distill_cfg=entries, **kwargs))


def test_builds_heads_and_freezes_teacher():
    d = distiller((ft_entry(), kd_entry()))  # a tuple, as in the docs
    assert list(d.heads) == ['layer2_FTdis', 'logits_KD']
    assert d.needs_pretrain
    assert not any(p.requires_grad for p in d.teacher.parameters())
    assert not d.teacher.training
    assert list(d.teacher_connectors()) == ['heads.layer2_FTdis.tea_connector']


@pytest.mark.parametrize('entries, match', [
    ([], 'non-empty list'),
    ([dict(student_module='a', head=kd_entry()['head'])],
     r"missing \['teacher_module'\]"),
    ([dict(kd_entry(), stduent_module='x')], r"unknown \['stduent_module'\]"),
    ([kd_entry('same'), kd_entry('same')], "named 'same'"),
    ([kd_entry('a.b')], 'without dots'),
    ([dict(kd_entry(), teacher_module='head.fcc')],
     "teacher has no module 'head.fcc'.*head.fc"),
])
def test_bad_distill_cfg_is_reported(entries, match):
    with pytest.raises(ValueError, match=match):
        distiller(entries)


def test_teacher_is_required():
    with pytest.raises(ValueError, match='needs `teacher`'):
        MODELS.build(dict(type='TeacherDistiller', distill_cfg=[kd_entry()]))


def test_ft_head_checks_its_connectors():
    entry = ft_entry()
    entry['head']['stu_connector']['out_channel'] = 5
    with pytest.raises(ValueError, match=r'out_channel \(5\) must equal'):
        distiller([entry])
    entry = ft_entry()
    del entry['head']['tea_connector']
    with pytest.raises(ValueError, match='needs `tea_connector`'):
        distiller([entry])


def test_meal_discriminators_need_channels():
    d = distiller([ft_entry()], use_meal=True)
    assert d.meal['layer2_FTdis'].in_features == 6
    with pytest.raises(ValueError, match='meal_cfg=dict.in_channels'):
        distiller([kd_entry()], use_meal=True)
    d = distiller([kd_entry()], use_meal=True,
                  meal_cfg=dict(in_channels=dict(logits_KD=10)))
    assert d.meal['logits_KD'].in_features == 10
    with pytest.raises(ValueError, match='unknown meal_cfg keys'):
        distiller([kd_entry()], use_meal=True, meal_cfg=dict(weight=1))


def test_teacher_ckpt_loads_and_mismatch_is_named(tmp_path):
    src = MODELS.build(tiny_classifier(4))
    torch.save({'state_dict': src.state_dict()}, tmp_path / 'epoch_3.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    d = distiller([kd_entry()],
                  teacher_ckpt=str(tmp_path / 'latest.pth'))
    d.init_weights()
    loaded = d.teacher.state_dict()
    for k, v in src.state_dict().items():
        assert torch.equal(v, loaded[k]), k
    other = MODELS.build(tiny_classifier(2))
    torch.save({'state_dict': other.state_dict()}, tmp_path / 'small.pth')
    d = distiller([kd_entry()], teacher_ckpt=str(tmp_path / 'small.pth'))
    with pytest.raises(RuntimeError, match='does not fit the teacher'):
        d.init_weights()


def test_resolve_checkpoint(tmp_path, monkeypatch):
    ckpt = tmp_path / 'epoch_2.pth'
    ckpt.write_bytes(b'x')
    assert resolve_checkpoint(str(ckpt), 'k') == str(ckpt)
    latest = str(tmp_path / 'latest.pth')
    with pytest.raises(FileNotFoundError, match='last_checkpoint.*exists'):
        resolve_checkpoint(latest, 'pretrained')
    # mmengine's marker, also after the work dir was moved elsewhere
    (tmp_path / 'last_checkpoint').write_text('/elsewhere/epoch_2.pth')
    assert resolve_checkpoint(latest, 'pretrained') == str(ckpt)
    (tmp_path / 'last_checkpoint').write_text('/elsewhere/epoch_9.pth')
    with pytest.raises(FileNotFoundError, match='names .*epoch_9'):
        resolve_checkpoint(latest, 'pretrained')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        resolve_checkpoint(osp.join(tmp_path, 'nope.pth'), 'teacher_ckpt')
    with pytest.raises(FileNotFoundError,
                       match='PRETRAIN_WORK_DIR is not set.*--cfg-options '
                       'pretrained='):
        resolve_checkpoint('${PRETRAIN_WORK_DIR}/latest.pth', 'pretrained')
