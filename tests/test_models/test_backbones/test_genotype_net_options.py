"""GenotypeNet's activation and stem are configurable (Evolly's
``build_model(activation=..., custom initial layers)``); the defaults build
the same network as before, and deepening says when the activation stops
it from being function-preserving."""
import random

import pytest
import torch
import torch.nn as nn

from gml.structures.genotype import load_genotype
from gml.models.task_modules.morphism.inheritance import inherit
from gml.models.mutators.genotype_mutator import GenotypeMutator
from gml.registry import MODELS

from ..test_task_modules.test_morphism.test_inheritance import PARENT, X
from ..test_task_modules.test_morphism.test_transforms import _randomize_bn


def build(genotype=PARENT, seed=0, **backbone):
    torch.manual_seed(seed)
    return MODELS.build(dict(
        type='gml.GenotypeClassifier',
        backbone=dict(type='gml.GenotypeNet', genotype=genotype,
                      stem_filters=8, **backbone),
        head=dict(type='LinearClsHead', num_classes=10)))


def _acts(model):
    return [m for m in model.modules()
            if isinstance(m, (nn.ReLU, nn.SiLU, nn.GELU))]


def test_default_activation_is_relu_inplace_and_configurable():
    default = build()
    acts = _acts(default)
    # stem + 1 per conv block + 2 per resnet block (PARENT: 2 conv, 3 res)
    assert len(acts) == 2 + 2 + 3 * 2
    assert all(type(m) is nn.ReLU and m.inplace for m in acts)
    explicit = build(act_cfg=dict(type='ReLU', inplace=True))
    assert repr(explicit) == repr(default)
    assert all(torch.equal(a, b) for a, b in zip(
        default.state_dict().values(), explicit.state_dict().values()))
    silu = build(act_cfg=dict(type='SiLU'))
    assert [type(m) for m in _acts(silu)] == [nn.SiLU] * len(acts)
    assert silu.state_dict().keys() == default.state_dict().keys()
    assert not torch.allclose(silu.eval()(X), default.eval()(X))


def test_stem_cfg_builds_any_stem():
    model = build(stem_cfg=dict(type='ConvModule', kernel_size=5, stride=2,
                                padding=2, norm_cfg=dict(type='BN'),
                                act_cfg=dict(type='GELU')))
    stems = [b.stem for b in model.backbone.branches.values()]
    assert all(type(s).__name__ == 'ConvModule' for s in stems)
    assert stems[0].conv.kernel_size == (5, 5) and stems[0].conv.stride == (
        2, 2) and stems[0].conv.out_channels == 8
    assert model.eval()(X).shape == (4, 10)


@pytest.mark.parametrize('act, exact', [('ReLU', True), ('SiLU', False)])
def test_deepen_is_exact_only_for_an_idempotent_activation(act, exact):
    parent = _randomize_bn(build(act_cfg=dict(type=act)))
    mutator = GenotypeMutator(dict(max_strides=3), {'deepen': 1})
    genotype, mutation = mutator.mutate(load_genotype(PARENT),
                                        random.Random(0))
    assert mutation.kind == 'deepen'
    child = build(genotype, seed=1, act_cfg=dict(type=act))
    result = inherit(parent, child, mutation, genotype, 'r2r',
                     torch.Generator().manual_seed(0))
    same = torch.allclose(child.eval()(X), parent(X), atol=1e-5)
    assert result.function_preserving == exact == same
