import copy
import random

import pytest

from gml.engine.estimators import (SubnetResourceEstimator, count_flops,
                                   count_params)
from gml.registry import MODELS, TASK_UTILS
from gml.utils.errors import ConfigError

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


@TASK_UTILS.register_module()
class _HalfFlopsEstimator(SubnetResourceEstimator):
    """A user's own estimator (here: half the FLOPs of the lookup tables)."""

    def estimate(self, subnet):
        flops, params = super().estimate(subnet)
        return flops // 2, params


def test_search_takes_its_estimator_from_the_config(tmp_path):
    """train_cfg.estimator builds a registered estimator with the supernet,
    mutator and input shape; its figures are the records' and the limits'."""
    import torch

    from tests.data.tiny_supernet import build_tiny_supernet
    from tests.test_engine.test_loops.test_search_loop_scoring import search
    torch.manual_seed(3)
    ckpt = str(tmp_path / 'supernet.pth')
    torch.save({'state_dict': build_tiny_supernet().state_dict(),
                'meta': {}}, ckpt)
    ref = search(ckpt, tmp_path / 'ref')
    own = search(ckpt, tmp_path / 'own',
                 estimator=dict(type='_HalfFlopsEstimator'))
    assert type(own.estimator) is _HalfFlopsEstimator
    assert type(ref.estimator) is SubnetResourceEstimator
    for r in own.records:
        flops, _ = ref.estimator.estimate(r['subnet'])
        assert r['flops_M'] == round(flops // 2 / 1e6, 6)
    with pytest.raises(ConfigError, match=r'train_cfg.estimator'):
        search(ckpt, tmp_path / 'bad', estimator=dict(type='NoSuchEstimator'))
