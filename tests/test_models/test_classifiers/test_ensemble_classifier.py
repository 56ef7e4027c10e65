"""gml.EnsembleClassifier: the mean of its members' logits or
probabilities, for test and export only, with one shared preprocessor."""
import os.path as osp

import pytest
import torch

from gml.config.loading import load_config
from gml.registry import MODELS
from gml.utils.errors import ConfigError

GENOTYPE_CFG = 'configs/nas/morphism/genotype_digits.py'


def test_mean_of_members(repo_root):
    cfg = load_config(osp.join(repo_root, GENOTYPE_CFG))
    member = dict(cfg.model)
    member.pop('data_preprocessor')
    torch.manual_seed(0)
    ens = MODELS.build(dict(type='gml.EnsembleClassifier',
                            members=[member, member, member],
                            data_preprocessor=cfg.model.data_preprocessor))
    x = torch.randn(4, 3, 8, 8)
    ens.eval()
    outs = torch.stack([m(x, mode='tensor') for m in ens.members])
    assert not torch.allclose(outs[0], outs[1])  # really different members
    assert torch.allclose(ens(x), outs.mean(0), atol=1e-6)
    ens.combine = 'mean_probs'
    assert torch.allclose(ens(x).exp(), outs.softmax(-1).mean(0), atol=1e-6)
    preds = ens(x, mode='predict')
    assert [int(p.pred_label) for p in preds] == \
        outs.softmax(-1).mean(0).argmax(-1).tolist()
    with pytest.raises(ConfigError, match='train its members one by one'):
        ens(x, mode='loss')
    with pytest.raises(ConfigError, match='needs 2 or more'):
        MODELS.build(dict(type='gml.EnsembleClassifier', members=[member]))
    with pytest.raises(ConfigError, match="model.combine: got 'vote'"):
        MODELS.build(dict(type='gml.EnsembleClassifier',
                          members=[member, member], combine='vote'))
