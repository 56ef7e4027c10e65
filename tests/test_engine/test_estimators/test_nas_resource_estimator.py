import copy
import random

import pytest

from gml.engine.estimators import (SubnetResourceEstimator, count_flops,
                               count_params)
from gml.registry import MODELS

MODEL = dict(type='mmcls.ImageClassifier',
             backbone=dict(type='gml.ShuffleNetV2_OneShot',
                           widen_factor=0.125, stem_channels=8,
                           stem_stride=1, strides=(1, 2, 2, 1),
                           last_channels=32),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=10,
                       in_channels=32))


@pytest.mark.parametrize('share', [False, True])
def test_lookup_table_matches_mmengine_analysis_on_fixed_subnets(share):
    model = copy.deepcopy(MODEL)
    model['backbone']['share_projections'] = share
    spos = MODELS.build(dict(type='gml.SPOS', model=model))
    before = spos.mutator.current_choices
    est = SubnetResourceEstimator(spos.architecture, spos.mutator, (3, 8, 8))
    assert spos.mutator.current_choices == before  # left as it was
    seen = set()
    for seed in range(2):
        subnet = spos.mutator.sample_choices(random.Random(seed))
        fixed = MODELS.build(dict(type='gml.SPOS', model=model,
                                  mutable_cfg=subnet)).architecture
        flops, params = est.estimate(subnet)
        assert flops == count_flops(fixed, (3, 8, 8))
        assert params == count_params(fixed)
        seen.add(flops)
    assert len(seen) == 2  # the estimate does depend on the choices
