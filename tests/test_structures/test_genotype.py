"""Genotype yaml, the backbone that builds it, and the mutation operators."""
import random

import pytest
import torch

from gml.models.backbones.genotype_net import GenotypeNet
from gml.structures.genotype import (dump_genotype, genotype_yaml,
                                          load_genotype)
from gml.models.mutators.genotype_mutator import MUTATIONS, GenotypeMutator
from gml.utils.errors import ConfigError

TWO_BRANCHES = {'branches': {
    'img': [[1, 1, 'conv', 3, 1, 8, False], [2, 2, 'resnet', 3, 2, 16, True],
            [3, 2, 'conv', 5, 2, 8, 0.1]],
    'aux': [[4, 1, 'resnet', 3, 1, 8, False]]}}


def test_yaml_round_trip_and_evolly_layout(tmp_path):
    g = load_genotype(TWO_BRANCHES)
    path = str(tmp_path / 'g.yaml')
    dump_genotype(g, path, {'fitness': 0.9})
    text = open(path).read()
    assert '  - [2, 2, resnet, 3, 2, 16, true]' in text
    assert load_genotype(path) == g
    evolly = load_genotype({'branches': [TWO_BRANCHES['branches']['img']],
                            'branch_names': ['img']})
    assert evolly.branches['img'] == g.branches['img']
    assert genotype_yaml(g).startswith('branches:\n  img:\n')


def test_backbone_builds_any_genotype():
    net = GenotypeNet(TWO_BRANCHES, stem_filters=4)
    # img: level 2 concatenates 16 + 8; aux: 8
    assert net.out_channels == 32 == load_genotype(TWO_BRANCHES).out_channels
    (out, ) = net(torch.randn(2, 3, 8, 8))
    assert out.shape == (2, 32)
    assert net.block_path(4) == 'branches.aux.blocks.b4'
    # true: Evolly's rate growing with depth; a float: that rate
    assert net.branches['img'].blocks['b2'].drop.p == pytest.approx(0.2)
    assert net.branches['img'].blocks['b3'].drop.p == pytest.approx(0.1)


@pytest.mark.parametrize('bad,match', [
    ({'branches': {'img': [[1, 1, 'conv', 4, 1, 8, False]]}},
     'kernel_size must be odd'),
    ({'branches': {'img': [[1, 1, 'mlp', 3, 1, 8, False]]}},
     "block_type 'mlp' is not one of"),
    ({'branches': {'img': [[1, 1, 'conv', 3, 1, 8]]}}, 'expected \\[block_id'),
    ({'branches': {'img': [[1, 1, 'conv', 3, 1, 8, False],
                           [1, 2, 'conv', 3, 1, 8, False]]}},
     'block_id 1 is used twice'),
    ({'branches': {'img': [[1, 1, 'conv', 3, 1, 8, False],
                           [2, 1, 'conv', 3, 2, 8, False]]}},
     'depth 1 mixes strides'),
    ({'layers': []}, "expected a mapping with key 'branches'"),
])
def test_bad_genotypes_name_the_problem(bad, match):
    with pytest.raises(ConfigError, match=match):
        load_genotype(bad)
    with pytest.raises(ConfigError, match='does not exist'):
        load_genotype('/nonexistent/genotype.yaml')


def test_mutations_stay_in_the_search_space():
    space = dict(filters=(8, 32), max_depth=4, max_width=2, max_strides=2,
                 kernel_sizes=(3, 5))
    mutator = GenotypeMutator(space)
    rng = random.Random(0)
    g = load_genotype(TWO_BRANCHES)
    seen = set()
    for _ in range(200):
        child, m = mutator.mutate(g, rng)
        seen.add(m.kind)
        for name in child.branches:
            levels = child.levels(name)
            assert list(levels) == list(range(1, len(levels) + 1))
            assert len(levels) <= 4
            assert all(len(lv) <= 2 for lv in levels.values())
            assert sum(lv[0].strides == 2 for lv in levels.values()) <= 2
        assert all(b.kernel_size in (3, 5) and 8 <= b.filters_out <= 32
                   for _, b in child.blocks())
        g = child if rng.random() < 0.5 else g
    assert seen == set(MUTATIONS)
    with pytest.raises(ConfigError, match="unknown kinds \\['grow'\\]"):
        GenotypeMutator(space, {'grow': 1})


def test_the_bounds_have_one_name_distinct_from_hpo_search_space():
    """issue 25: morphism's bounds are GenotypeBounds; the old name still
    imports, and HPO's SearchSpace is another class."""
    from gml.hpo.space import SearchSpace as HPOSpace
    from gml.models.morphism import mutation  # the old path
    assert mutation.SearchSpace is mutation.GenotypeBounds
    assert mutation.GenotypeBounds is not HPOSpace
    bounds = GenotypeMutator(space=dict(filters=(8, 32))).space
    assert isinstance(bounds, mutation.GenotypeBounds)
    assert bounds.filter_choices() == [8, 16, 24, 32]
