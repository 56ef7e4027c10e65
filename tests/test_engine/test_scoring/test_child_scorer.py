"""The morphism evolution's scorer keeps a child trained before a kill only
when that child's config is the same, and says how far a child starts
from its parent."""
import json

import torch

from gml.engine.scoring.child_scorer import ChildScorer
from gml.registry import MODELS

SEED = {'branches': {'img': [[1, 1, 'conv', 3, 1, 8, False]]}}
MODEL = dict(type='gml.GenotypeClassifier',
             backbone=dict(type='gml.GenotypeNet', genotype=SEED,
                           stem_filters=8),
             head=dict(type='LinearClsHead', num_classes=10))


def scorer(tmp_path, val_loader=None):
    algo = MODELS.build(dict(type='gml.NetworkMorphism', model=MODEL))
    return ChildScorer(algo, str(tmp_path), None, 8, {}, val_loader, None,
                       'accuracy/top1', 'cosine', (3, 8, 8),
                       lambda s, p, f: s, False, None, None), algo


def test_kept_only_with_the_same_config_and_checkpoint(tmp_path):
    s, _ = scorer(tmp_path)
    config = dict(seed=5, epochs=1, genotype=SEED)
    ckpt = tmp_path / '0001_00003.pth'
    ckpt.write_bytes(b'weights')
    meta = dict(config=config, checkpoint=str(ckpt), fitness=0.5)
    (tmp_path / '0001_00003_meta.json').write_text(json.dumps(meta))
    assert s.kept('0001_00003', config) == meta
    assert s.kept('0001_00003', dict(config, epochs=2)) is None
    assert s.kept('0001_00004', config) is None
    ckpt.unlink()  # metadata without its weights: train again
    assert s.kept('0001_00003', config) is None


def test_max_abs_diff_is_zero_for_the_same_function(tmp_path):
    x = torch.randint(0, 255, (2, 3, 8, 8)).float()
    batch = dict(inputs=list(x), data_samples=None)
    s, algo = scorer(tmp_path, val_loader=[batch])
    parent = algo.build_child(algo.seed_genotype, seed=0)
    same = algo.build_child(algo.seed_genotype, seed=0)
    other = algo.build_child(algo.seed_genotype, seed=1)
    assert s.max_abs_diff(parent, same) == 0.0
    assert s.max_abs_diff(parent, other) > 0.0
