import random

import pytest
import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmpretrain.structures import DataSample

from gml.engine.estimators import count_flops, count_params
from gml.models.backbones.shufflenet_v2_oneshot import build_choice
from gml.registry import MODELS
from gml.structures import SubnetError, dump_subnet
from gml.config.overrides import ConfigError
from gml.config.loading import load_config

BACKBONE = dict(type='gml.ShuffleNetV2_OneShot', widen_factor=0.125,
                stem_channels=8, stem_stride=1, stem_pool=False,
                strides=(1, 2, 2, 1), last_channels=32)
MODEL = dict(type='mmcls.ImageClassifier', backbone=BACKBONE,
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=10, in_channels=32))


def build(**kwargs):
    return MODELS.build(dict(type='gml.SPOS', model=MODEL,
                             mutator=dict(type='gml.StateslessMutator'),
                             **kwargs))


def batch(n=4):
    return (torch.randn(n, 3, 8, 8),
            [DataSample().set_gt_label(i % 10) for i in range(n)])


def test_each_step_samples_a_path_and_only_it_gets_gradients():
    spos = build()
    seen = set()
    for step in range(3):
        spos.zero_grad(set_to_none=True)
        losses = spos(*batch(), mode='loss')
        losses['loss'].backward()
        choices = spos.mutator.current_choices
        seen.add(tuple(choices.values()))
        for name, mutable in spos.mutator.mutables.items():
            for cand, op in mutable._candidates.items():
                got = [p.grad is not None and p.grad.abs().sum() > 0
                       for p in op.parameters()]
                if cand == choices[name]:
                    assert any(got), f'{name}.{cand} got no gradient'
                else:
                    assert not any(got), f'{name}.{cand} got a gradient'
    assert len(seen) == 3  # a new uniform sample per iteration


def test_export_yaml_import_round_trip(tmp_path):
    spos = build()
    subnet = spos.mutator.sample_choices(random.Random(0))
    spos.set_subnet(subnet)
    path = str(tmp_path / 'subnet.yaml')
    dump_subnet(spos.mutator.current_choices, path)
    fixed = build(mutable_cfg=path)
    assert not fixed.is_supernet
    assert fixed.fixed_subnet == subnet
    assert fixed.mutator.current_choices == subnet
    assert all(m.is_fixed and m.choices == [subnet[n]]
               for n, m in fixed.mutator.mutables.items())


class Standalone(nn.Module):
    """The same architecture written without any mutable: the reference."""

    def __init__(self, subnet):
        super().__init__()
        norm, act = dict(type='BN'), dict(type='ReLU')
        layers = [ConvModule(3, 8, 3, 1, 1, norm_cfg=norm, act_cfg=act)]
        cin = 8
        for stage, (n, width, stride) in enumerate(zip(
                (4, 4, 8, 4), (8, 20, 40, 80), (1, 2, 2, 1))):
            for j in range(n):
                layers.append(build_choice(
                    subnet[f'backbone.layers.{stage}.{j}'], cin, width,
                    stride if j == 0 else 1, norm, act))
                cin = width
        layers.append(ConvModule(cin, 32, 1, norm_cfg=norm, act_cfg=act))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)  # what GlobalAveragePooling is
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(self.pool(self.features(x)).flatten(1))


def test_fixed_subnet_costs_equal_a_standalone_build():
    for seed in (0, 1):
        subnet = build().mutator.sample_choices(random.Random(seed))
        fixed = build(mutable_cfg=subnet).architecture
        ref = Standalone(subnet)
        assert count_params(fixed) == count_params(ref)
        assert count_flops(fixed, (3, 8, 8)) == count_flops(ref, (3, 8, 8))
        # and the supernet really is larger
        assert count_params(build().architecture) > 2 * count_params(ref)


def test_bad_subnets_name_block_and_choices(tmp_path):
    space = build().mutator.search_space
    subnet = {n: c[0] for n, c in space.items()}
    subnet['backbone.layers.1.2'] = 'shuffle_11x11'
    path = str(tmp_path / 'bad.yaml')
    dump_subnet(subnet, path)
    with pytest.raises(SubnetError) as e:
        build(mutable_cfg=path)
    assert "'backbone.layers.1.2'" in str(e.value)
    assert "shuffle_11x11" in str(e.value) and 'bad.yaml' in str(e.value)
    assert "'shuffle_xception'" in str(e.value)
    del subnet['backbone.layers.1.2']
    dump_subnet(subnet, path)
    with pytest.raises(SubnetError, match='has 19 blocks, the search space '
                       'has 20'):
        build(mutable_cfg=path)


def test_subnet_config_without_subnet_is_an_error():
    with pytest.raises(ConfigError, match='algorithm.mutable_cfg'):
        build(require_subnet=True)


SEED_STYLE = '''
norm_cfg = dict(type='BN')
model = dict(
    type='mmcls.ImageClassifier',
    backbone=dict(
        type='gml.ShuffleNetV2_OneShot', widen_factor=1.0, norm_cfg=norm_cfg),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1024,
        loss=dict(
            type='LabelSmoothLoss',
            num_classes=1000,
            label_smooth_val=0.1,
            mode='original',
            loss_weight=1.0),
        topk=(1, 5),
    ),
)
mutator = dict(type='gml.StateslessMutator')
algorithm = dict(type='gml.SPOS', model=model, mutator=mutator)
'''


def test_seed_style_config_builds(tmp_path):
    path = tmp_path / 'spos_seed.py'
    path.write_text(SEED_STYLE)
    cfg = load_config(str(path))
    spos = MODELS.build(cfg.model)
    assert type(spos).__name__ == 'SPOS'
    assert type(spos.architecture).__name__ == 'ImageClassifier'
    assert len(spos.mutator.search_space) == 20
    out = spos.architecture.eval()(torch.randn(1, 3, 224, 224))
    assert out.shape == (1, 1000)


@pytest.mark.parametrize('name, blocks', [
    ('spos_shufflenetv2_supernet_8xb128_in1k', 20),
    ('spos_shufflenetv2_evolution_search_8xb2048_in1k', 20),
    ('spos_shufflenetv2_supernet_digits', 5),
    ('spos_shufflenetv2_evolution_search_digits', 5),
    ('spos_shufflenetv2_random_search_digits', 5)])
def test_shipped_supernet_configs_build(repo_root, name, blocks):
    cfg = load_config(f'{repo_root}/configs/nas/spos/{name}.py')
    spos = MODELS.build(cfg.model)
    assert spos.is_supernet and len(spos.mutator.search_space) == blocks


@pytest.mark.parametrize('name', ['spos_shufflenetv2_subnet_8xb128_in1k',
                                  'spos_shufflenetv2_subnet_digits'])
def test_shipped_subnet_configs_take_the_yaml(repo_root, tmp_path, name):
    path = f'{repo_root}/configs/nas/spos/{name}.py'
    with pytest.raises(ConfigError, match='algorithm.mutable_cfg'):
        MODELS.build(load_config(path).model)
    space = MODELS.build(load_config(path, {
        'algorithm.require_subnet': False}).model).mutator.search_space
    yaml_path = str(tmp_path / 'subnet.yaml')
    dump_subnet({n: c[-1] for n, c in space.items()}, yaml_path)
    cfg = load_config(path, {'algorithm.mutable_cfg': yaml_path})
    spos = MODELS.build(cfg.model)
    assert not spos.is_supernet
    assert set(spos.fixed_subnet.values()) == {'shuffle_xception'}
