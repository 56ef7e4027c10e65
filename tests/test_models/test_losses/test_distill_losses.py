import pytest
import torch

from gml.registry import MODELS


def test_losses_are_registered():
    for name in ('FTLoss', 'KDLoss', 'MSELoss'):
        assert MODELS.build(dict(type=name)).__class__.__name__ == name


def test_ft_loss_compares_directions_not_scales():
    loss = MODELS.build(dict(type='FTLoss', loss_weight=10.))
    s = torch.randn(4, 8, 3, 3)
    assert loss(s, 5 * s).item() == pytest.approx(0, abs=1e-6)
    t = torch.randn(4, 8, 3, 3)
    assert loss(s, t).item() > 0
    # weight scales the value; p=2 differs from p=1
    assert loss(s, t).item() == pytest.approx(
        10 * MODELS.build(dict(type='FTLoss'))(s, t).item(), rel=1e-5)
    assert MODELS.build(dict(type='FTLoss', p=2))(s, t).item() != \
        pytest.approx(MODELS.build(dict(type='FTLoss', p=1))(s, t).item())


def test_ft_loss_per_sample_normalisation():
    loss = MODELS.build(dict(type='FTLoss'))
    s = torch.randn(2, 4)
    t = s.clone()
    t[1] *= 100  # only sample 1 is rescaled: still identical directions
    assert loss(s, t).item() == pytest.approx(0, abs=1e-6)


def test_ft_loss_rejects_mismatched_factors():
    with pytest.raises(ValueError, match='out_channel'):
        MODELS.build(dict(type='FTLoss'))(torch.zeros(2, 4, 3, 3),
                                          torch.zeros(2, 8, 3, 3))
    with pytest.raises(ValueError, match='p must be 1 or 2'):
        MODELS.build(dict(type='FTLoss', p=3))


def test_kd_loss_matches_hinton_formula():
    tau = 3.0
    loss = MODELS.build(dict(type='KDLoss', tau=tau, loss_weight=0.5))
    s, t = torch.randn(5, 10), torch.randn(5, 10)
    p_t = torch.softmax(t / tau, 1)
    expected = (p_t * (p_t.log() - torch.log_softmax(s / tau, 1))).sum(1)
    expected = 0.5 * tau**2 * expected.mean()
    assert loss(s, t).item() == pytest.approx(expected.item(), rel=1e-5)
    assert loss(t, t).item() == pytest.approx(0, abs=1e-6)
    with pytest.raises(ValueError, match='tau must be > 0'):
        MODELS.build(dict(type='KDLoss', tau=0))


def test_mse_loss():
    loss = MODELS.build(dict(type='MSELoss', loss_weight=10.))
    a = torch.zeros(2, 3)
    assert loss(a, a + 1).item() == pytest.approx(10.)
    with pytest.raises(ValueError, match='differ'):
        loss(a, torch.zeros(3, 2))
