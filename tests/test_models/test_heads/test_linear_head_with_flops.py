"""DMCP's head: a linear layer for any input width, a scale-free FLOPs loss
that pulls the expected FLOPs to the target, and in-place distillation."""
import math

import pytest
import torch
import torch.nn.functional as F

from gml.registry import MODELS


def head(**kw):
    return MODELS.build(dict(type='gml.LinearClsHead_WithFLOPs',
                             num_classes=10, in_channels=16, **kw))


def test_reads_only_the_features_it_gets():
    h = head()
    x = torch.randn(2, 8)  # a pruned backbone's narrower output
    assert torch.allclose(h((x, )), x @ h.fc.weight[:, :8].T + h.fc.bias)
    assert h.flops_terms('layer7') == [(10, ('layer7', ))]


@pytest.mark.parametrize('kind', ['log_l1', 'l1'])
def test_flops_loss_is_zero_at_the_target_and_pulls_towards_it(kind):
    h = head(floss_cfg=dict(target_flops=3.0, floss_type=kind,
                            flop_loss_weight=0.5))
    assert h.loss_flops(torch.tensor(3e6)).item() == pytest.approx(0, abs=1e-6)
    above = torch.tensor(6e6, requires_grad=True)
    loss = h.loss_flops(above)
    expected = math.log(2) if kind == 'log_l1' else 1.0
    assert loss.item() == pytest.approx(0.5 * expected, rel=1e-5)
    loss.backward()
    assert above.grad > 0  # descending lowers the expected FLOPs


def test_distillation_hard_and_soft():
    s, t = torch.randn(4, 10), torch.randn(4, 10)
    hard = head(distill_cfg=dict(distill_weight=2.0))
    assert hard.loss_distill(s, t).item() == pytest.approx(
        2 * F.cross_entropy(s, t.argmax(1)).item(), rel=1e-6)
    soft = head(distill_cfg=dict(temperature=4, distill_softlable=True))
    kl = F.kl_div(F.log_softmax(s / 4, 1), F.softmax(t / 4, 1),
                  reduction='batchmean') * 16
    assert soft.loss_distill(s, t).item() == pytest.approx(kl.item(),
                                                           rel=1e-6)
    assert soft.loss_distill(t, t).item() == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize('kw, match', [
    (dict(floss_cfg=dict(target=3)), r"unknown floss_cfg keys \['target'\]"),
    (dict(floss_cfg=dict(floss_type='l2')), 'floss_type'),
    (dict(floss_cfg=dict(input_size=(8, 8))), r'must be \(C, H, W\)'),
    (dict(distill_cfg=dict(temp=2)), r"unknown distill_cfg keys \['temp'\]"),
])
def test_bad_settings_are_value_errors_naming_the_key(kw, match):
    # (the registry turns them into one line naming the config key path)
    with pytest.raises(ValueError, match=match):
        head(**kw)
    with pytest.raises(ValueError, match='target_flops must be set'):
        head().loss_flops(torch.tensor(1e6))
