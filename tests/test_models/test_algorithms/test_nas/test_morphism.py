"""gml.NetworkMorphism: the algorithm a morphism evolution's config builds
makes children (genotype, seeded weights) and fills them from parents."""
import random

import pytest
import torch

from gml.models.algorithms.nas import NetworkMorphism
from gml.registry import MODELS
from gml.structures.genotype import load_genotype
from gml.utils.errors import ConfigError

SEED = {'branches': {'img': [[1, 1, 'conv', 3, 1, 8, False],
                             [2, 2, 'resnet', 3, 2, 16, False]]}}
MODEL = dict(type='gml.GenotypeClassifier',
             backbone=dict(type='gml.GenotypeNet', genotype=SEED,
                           stem_filters=8),
             head=dict(type='LinearClsHead', num_classes=10))
PRE = dict(type='mmpretrain.ClsDataPreprocessor', mean=[40.0] * 3,
           std=[75.0] * 3)


def build(**kw):
    return MODELS.build(dict(type='gml.NetworkMorphism', model=MODEL, **kw))


def test_children_are_seeded_networks_of_any_genotype():
    algo = build(data_preprocessor=PRE)
    assert algo.seed_genotype == load_genotype(SEED)
    wider = load_genotype({'branches': {'img': [
        [1, 1, 'conv', 3, 1, 24, False], [2, 2, 'resnet', 3, 2, 16, False]]}})
    a, b = algo.build_child(wider, seed=4), algo.build_child(wider, seed=4)
    assert type(a).__name__ == 'GenotypeClassifier'
    assert a.backbone.genotype == wider
    for (k, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(x, y), k
    # the algorithm-level preprocessor reaches the children
    assert a.data_preprocessor.mean.flatten().tolist() == [40.0] * 3
    c = algo.build_child(wider, seed=5)
    assert not torch.equal(a.head.fc.weight, c.head.fc.weight)


@pytest.mark.parametrize('init, preserving', [('r2r', True),
                                              ('random', False)])
def test_inherit_follows_init(init, preserving):
    algo = build(init=init, mutations=dict(filters=1),
                 search_space=dict(filters=(8, 64)))
    parent = algo.build_child(algo.seed_genotype, seed=0).eval()
    rng = random.Random(0)
    for _ in range(20):  # a widening draw (filters may also shrink)
        child_g, mutation = algo.mutate(algo.seed_genotype, rng)
        if mutation.new > mutation.old:
            break
    assert mutation.kind == 'filters' and mutation.new > mutation.old
    child = algo.build_child(child_g, seed=1)
    result = algo.inherit(parent, child, mutation, child_g,
                          torch.Generator().manual_seed(0))
    x = torch.randn(2, 3, 8, 8)
    diff = (parent(x) - child.eval()(x)).abs().max().item()
    assert result.function_preserving is preserving
    assert (diff < 1e-4) is preserving, diff


def test_bad_arguments_are_value_errors_the_registry_explains():
    # (tools/search.py turns them into one line naming the key path:
    # test_morphism_evolution.py)
    with pytest.raises(ValueError, match=r"init must be one of .*got 'copy'"):
        build(init='copy')
    with pytest.raises(ValueError, match=r"model must be a "
                       r"'gml.GenotypeClassifier' config, got "
                       r"'ImageClassifier'"):
        MODELS.build(dict(type='gml.NetworkMorphism',
                          model=dict(MODEL, type='ImageClassifier')))
    with pytest.raises(ConfigError, match='mutations: unknown kinds'):
        build(mutations=dict(grow=1))
