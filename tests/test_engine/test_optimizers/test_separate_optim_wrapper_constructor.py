"""SeparateOptimWrapperConstructor: one optim wrapper per sub-module, each
over exactly that sub-module's parameters, built the way mmengine's Runner
builds it (through the constructor registry)."""
import pytest
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapperDict, build_optim_wrapper

import gml  # noqa: F401  (registers the constructor)


class TwoParts(BaseModel):
    def __init__(self):
        super().__init__()
        self.architecture = nn.Sequential(nn.Conv2d(1, 4, 3),
                                          nn.BatchNorm2d(4))
        self.mutator = nn.Linear(3, 2)

    def forward(self, *args, **kwargs):
        raise NotImplementedError


def build(**parts):
    return build_optim_wrapper(TwoParts(), dict(
        constructor='gml.SeparateOptimWrapperConstructor', **parts))


def ids(params):
    return {id(p) for p in params}


def test_each_wrapper_holds_exactly_its_submodule_parameters():
    wrappers = build(
        architecture=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        mutator=dict(optimizer=dict(type='Adam', lr=0.02)))
    assert isinstance(wrappers, OptimWrapperDict)
    model = TwoParts()  # the same structure: compare counts and types
    arch, mut = wrappers['architecture'], wrappers['mutator']
    assert type(arch.optimizer).__name__ == 'SGD'
    assert type(mut.optimizer).__name__ == 'Adam'
    count = lambda w: sum(len(g['params'])  # noqa: E731
                          for g in w.optimizer.param_groups)
    assert count(arch) == len(list(model.architecture.parameters())) == 4
    assert count(mut) == len(list(model.mutator.parameters())) == 2
    assert not ids(p for g in arch.optimizer.param_groups
                   for p in g['params']) & ids(
        p for g in mut.optimizer.param_groups for p in g['params'])


def test_paramwise_cfg_applies_per_key_and_as_a_default():
    wrappers = build(
        architecture=dict(optimizer=dict(type='SGD', lr=0.1,
                                         weight_decay=1e-4)),
        mutator=dict(optimizer=dict(type='SGD', lr=0.1, weight_decay=1e-4),
                     paramwise_cfg=dict(bias_decay_mult=0.0)),
        paramwise_cfg=dict(norm_decay_mult=0.0))
    arch = wrappers['architecture'].optimizer.param_groups
    mut = wrappers['mutator'].optimizer.param_groups
    # the default (norm_decay_mult=0) reached the BN weight and bias only
    assert sorted(g['weight_decay'] for g in arch) == [0.0, 0.0, 1e-4, 1e-4]
    # the key's own paramwise_cfg replaced the default: the bias only
    assert sorted(g['weight_decay'] for g in mut) == [0.0, 1e-4]


@pytest.mark.parametrize('parts, message', [
    (dict(), 'needs one entry per sub-module'),
    (dict(mutator=dict(lr=0.1)),
     r"optim_wrapper.mutator: expected dict\(optimizer="),
    (dict(arch=dict(optimizer=dict(type='SGD', lr=0.1))),
     "optim_wrapper.arch: TwoParts has no sub-module 'arch'"),
])
def test_bad_settings_name_the_key(parts, message):
    with pytest.raises(ValueError, match=message):
        build(**parts)
