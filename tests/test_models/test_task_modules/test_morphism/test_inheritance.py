"""A child built by mutation inherits its parent's tensors, computes the
parent's function when the mutation allows it, and names what it
re-initialised when it does not."""
import random

import pytest
import torch

from gml.structures.genotype import load_genotype
from gml.models.task_modules.morphism.inheritance import inherit
from gml.models.mutators.genotype_mutator import GenotypeMutator, Mutation
from gml.registry import MODELS

from .test_transforms import _randomize_bn

PARENT = {'branches': {
    'img': [[1, 1, 'conv', 3, 1, 8, False], [2, 2, 'resnet', 3, 2, 16, True],
            [3, 2, 'conv', 5, 2, 8, False], [4, 3, 'resnet', 3, 1, 24, False]],
    'aux': [[5, 1, 'resnet', 3, 1, 8, False]]}}
X = torch.randn(4, 3, 8, 8)


def build(genotype, seed=0):
    torch.manual_seed(seed)
    return MODELS.build(dict(
        type='gml.GenotypeClassifier',
        backbone=dict(type='gml.GenotypeNet', genotype=genotype,
                      stem_filters=8),
        head=dict(type='LinearClsHead', num_classes=10)))


@pytest.fixture(scope='module')
def parent():
    return _randomize_bn(build(PARENT))


def mutated(kind, **fields):
    """The parent's genotype with one block changed, and its Mutation."""
    g = load_genotype(PARENT)
    bid = fields.pop('block_id')
    name, block = g.find(bid)
    child = g.with_branch(name, [b.with_(**fields) if b is block else b
                                 for b in g.branches[name]])
    (key, new), = fields.items()
    return child, Mutation(kind, name, [bid], getattr(block, key), new)


def _child(parent, genotype, mutation, method):
    child = build(genotype, seed=1)
    result = inherit(parent, child, mutation, genotype, method,
                     torch.Generator().manual_seed(0))
    return child.eval(), result


@pytest.mark.parametrize('method', ['net2net', 'r2r'])
def test_growing_mutations_preserve_the_function(parent, method):
    y = parent(X)
    rng = random.Random(0)
    mutator = GenotypeMutator(dict(max_strides=3), {
        'deepen': 1, 'add_block': 1, 'dropout': 1})
    cases = [mutated('filters', block_id=2, filters_out=24),
             mutated('filters', block_id=4, filters_out=40),
             mutated('filters', block_id=5, filters_out=12),
             mutated('kernel_size', block_id=1, kernel_size=5)]
    cases += [mutator.mutate(load_genotype(PARENT), rng) for _ in range(8)]
    assert {m.kind for _, m in cases} == {
        'filters', 'kernel_size', 'deepen', 'add_block', 'dropout'}
    for genotype, mutation in cases:
        child, result = _child(parent, genotype, mutation, method)
        assert result.function_preserving, mutation
        assert torch.allclose(child(X), y, atol=1e-5), mutation


def test_child_inherits_parent_tensors_by_value(parent):
    genotype, mutation = mutated('filters', block_id=2, filters_out=24)
    child, result = _child(parent, genotype, mutation, 'r2r')
    p, c = parent.state_dict(), child.state_dict()
    # untouched blocks: equal tensors
    for key in ('backbone.branches.img.stem.0.weight',
                'backbone.branches.img.blocks.b1.conv.weight',
                'backbone.branches.img.blocks.b3.bn.running_var',
                'backbone.branches.aux.blocks.b5.conv2.weight'):
        assert torch.equal(c[key], p[key]), key
    # the widened block keeps its old units (r2r only adds new ones)
    key = 'backbone.branches.img.blocks.b2.conv1.weight'
    assert c[key].shape[0] == 24 and torch.equal(c[key][:16], p[key])
    # and the next level reads the old units with the old weights
    key = 'backbone.branches.img.blocks.b4.conv1.weight'
    assert torch.equal(c[key][:, :16], p[key][:, :16])
    assert torch.equal(c[key][:, 24:], p[key][:, 16:])
    assert result.reinitialized == []
    assert len(result.inherited) == len(c)


@pytest.mark.parametrize('mutation_args,reinit', [
    (('block_type', dict(block_id=3, block_type='resnet')),
     'backbone.branches.img.blocks.b3.conv1.weight'),
    (('filters', dict(block_id=1, filters_out=4)),
     'backbone.branches.img.blocks.b1.conv.weight'),
    (('kernel_size', dict(block_id=3, kernel_size=3)),
     'backbone.branches.img.blocks.b3.conv.weight'),
])
def test_other_mutations_keep_what_fits_and_report_the_rest(
        parent, mutation_args, reinit):
    kind, fields = mutation_args
    genotype, mutation = mutated(kind, **fields)
    child, result = _child(parent, genotype, mutation, 'r2r')
    assert not result.function_preserving
    assert reinit in result.reinitialized
    p, c = parent.state_dict(), child.state_dict()
    assert set(result.inherited) == {
        k for k in c if k in p and p[k].shape == c[k].shape}
    for key in result.inherited:
        assert torch.equal(c[key], p[key]), key


def test_random_init_of_new_units_is_the_baseline(parent):
    genotype, mutation = mutated('filters', block_id=2, filters_out=24)
    child, result = _child(parent, genotype, mutation, 'random')
    assert not result.function_preserving
    assert not torch.allclose(child(X), parent(X), atol=1e-3)
