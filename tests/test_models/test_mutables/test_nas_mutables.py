import pytest
import torch
import torch.nn as nn

from gml.models.mutables import OneShotMutableOP, OneShotMutableValue


def make_op():
    return OneShotMutableOP(
        dict(conv3=nn.Conv2d(4, 4, 3, padding=1),
             conv5=nn.Conv2d(4, 4, 5, padding=2),
             identity=nn.Identity()), alias='block')


def test_forward_runs_the_current_choice_only():
    op = make_op()
    x = torch.randn(2, 4, 6, 6)
    assert op.current_choice == 'conv3'  # first candidate is the default
    op.current_choice = 'identity'
    assert torch.equal(op(x), x)
    op.current_choice = 'conv5'
    op(x).sum().backward()
    grads = {n: p.grad is not None for n, p in op.named_parameters()}
    assert grads == {'_candidates.conv3.weight': False,
                     '_candidates.conv3.bias': False,
                     '_candidates.conv5.weight': True,
                     '_candidates.conv5.bias': True}


def test_unknown_choice_names_the_allowed_ones():
    op = make_op()
    with pytest.raises(ValueError, match=r"'conv7'.*block.*conv3"):
        op.current_choice = 'conv7'


def test_fix_chosen_drops_other_candidates_parameters():
    op = make_op()
    op.fix_chosen('conv5')
    assert op.is_fixed and op.choices == ['conv5']
    assert sum(p.numel() for p in op.parameters()) == 4 * 4 * 25 + 4
    assert op.dump_chosen() == 'conv5'
    with pytest.raises(RuntimeError, match='fixed'):
        op.current_choice = 'conv3'
    op.fix_chosen('conv5')  # idempotent
    with pytest.raises(RuntimeError, match='already fixed'):
        op.fix_chosen('conv3')


def test_mutable_value_choices_and_fix():
    value = OneShotMutableValue([16, 24, 32], alias='width')
    assert value.current_choice == 16
    value.current_choice = 32
    with pytest.raises(ValueError, match='allowed choices'):
        value.current_choice = 48
    value.fix_chosen(24)
    assert value.choices == [24] and value.dump_chosen() == 24
    with pytest.raises(ValueError, match='duplicate'):
        OneShotMutableValue([1, 1])
