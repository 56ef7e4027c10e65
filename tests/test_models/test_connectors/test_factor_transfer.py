import pytest
import torch

from gml.registry import MODELS


def test_paraphraser_and_translator_shapes():
    para = MODELS.build(dict(type='Paraphraser', in_channel=16,
                             out_channel=8))
    trans = MODELS.build(dict(type='Translator', in_channel=4,
                              out_channel=8))
    t, s = torch.randn(2, 16, 5, 5), torch.randn(2, 4, 5, 5)
    assert para(t).shape == (2, 8, 5, 5)  # the factor
    assert para.reconstruct(t).shape == t.shape
    assert trans(s).shape == (2, 8, 5, 5)
    assert not para.needs_pretrain and not trans.needs_pretrain


def test_connectors_reject_wrong_inputs():
    para = MODELS.build(dict(type='Paraphraser', in_channel=16,
                             out_channel=8))
    with pytest.raises(ValueError, match=r'\(N, 16, H, W\)'):
        para(torch.randn(2, 12, 5, 5))
    with pytest.raises(ValueError, match='in_channel must be a positive'):
        MODELS.build(dict(type='Translator', in_channel=0, out_channel=8))


def test_only_paraphraser_pretrains():
    crit = dict(type='MSELoss', loss_weight=10.0)
    para = MODELS.build(dict(type='Paraphraser', in_channel=6,
                             out_channel=4, pretrain_criterion=crit))
    assert para.needs_pretrain
    feat = torch.randn(3, 6, 4, 4)
    loss = para.pretrain_loss(feat)
    expected = 10 * ((para.reconstruct(feat) - feat)**2).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    with pytest.raises(ValueError, match='only a teacher-side Paraphraser'):
        MODELS.build(dict(type='Translator', in_channel=6, out_channel=4,
                          pretrain_criterion=crit))
