"""DMCP: Markov widths, differentiable FLOPs loss, training step, export,
retraining from an exported structure and its errors."""
import copy

import numpy as np
import pytest
import torch
import yaml
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper, build_optim_wrapper

from gml.datasets import DigitsDataset
from gml.models.algorithms.pruning.subnet_io import load_subnet, save_subnet
from gml.registry import MODELS

BACKBONE = dict(type='gml.MobileNetV2Slice',
                search_space=dict(min_ratio=0.2, max_ratio=1.0, step=0.1),
                widen_factor=0.25, last_channels=64, stem_stride=1,
                strides=(1, 1, 2, 2, 1, 2, 1))


def dmcp_cfg(target=0.2, floss_type='log_l1', **kwargs):
    model = dict(
        type='gml.ImageClassifierSearch',
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor',
                               num_classes=10, mean=[40.0] * 3,
                               std=[75.0] * 3),
        backbone=copy.deepcopy(BACKBONE),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='gml.LinearClsHead_WithFLOPs', num_classes=10,
                  in_channels=64,
                  floss_cfg=dict(input_size=(3, 8, 8), target_flops=target,
                                 floss_type=floss_type, flop_loss_weight=1),
                  distill_cfg=dict(temperature=1, distill_weight=1,
                                   distill_softlable=False),
                  topk=(1, ), cal_acc=True))
    cfg = dict(type='gml.DMCP', model=model,
               algorithm_cfg=dict(arch_start_train=0, arch_train_freq=1,
                                  arch_sample_num=3),
               mutator=dict(type='gml.DMCPChannelMutator'), distill_iter=0)
    cfg.update(kwargs)
    return cfg


@pytest.fixture(scope='module')
def batch():
    ds = DigitsDataset(pipeline=[dict(type='mmpretrain.PackInputs')])
    return pseudo_collate([ds[i] for i in range(16)])


def test_markov_probabilities_and_expected_width():
    torch.manual_seed(0)
    alg = MODELS.build(dmcp_cfg())
    mutator = alg.mutator
    for alpha in mutator.arch_params.values():
        alpha.data.normal_(0, 2)
    for name, mutable in mutator.mutables.items():
        keep = mutator.marginals(name)
        assert keep[0] == 1 and torch.all(keep[1:] <= keep[:-1])
        dist = mutator.width_distribution(name)
        assert torch.allclose(dist.sum(), torch.tensor(1.0))
        by_dist = (dist * torch.tensor(mutable.choices).float()).sum()
        assert torch.allclose(mutator.expected_widths()[name], by_dist)
    sampled = mutator.sample_choices()
    assert all(w in mutator.mutables[n].choices
               for n, w in sampled.items())


@pytest.mark.parametrize('floss_type', ['log_l1', 'l1'])
@pytest.mark.parametrize('direction', ['down', 'up'])
def test_flops_loss_gradient_moves_expected_flops_to_target(
        floss_type, direction):
    alg = MODELS.build(dmcp_cfg(floss_type=floss_type))
    full = alg.flops(alg.mutator.max_choices()) / 1e6
    start = float(alg.expected_flops()) / 1e6
    target = start * (0.5 if direction == 'down' else 1.3)
    assert target < full
    alg.head.target_flops = target
    opt = torch.optim.SGD(alg.mutator.arch_parameters(), lr=0.5)
    gaps = []
    for _ in range(5):
        loss = alg.head.loss_flops(alg.expected_flops())
        opt.zero_grad()
        loss.backward()
        assert all(p.grad is not None and p.grad.abs().sum() > 0
                   for p in alg.mutator.arch_parameters())
        opt.step()
        gaps.append(abs(float(alg.expected_flops()) / 1e6 - target))
    assert gaps[-1] < abs(start - target) and gaps == sorted(gaps,
                                                             reverse=True)


def test_train_step_updates_weights_and_arch(batch):
    torch.manual_seed(0)
    alg = MODELS.build(dmcp_cfg())
    wrappers = build_optim_wrapper(alg, dict(
        constructor='gml.SeparateOptimWrapperConstructor',
        architecture=dict(optimizer=dict(type='SGD', lr=0.1)),
        mutator=dict(optimizer=dict(type='Adam', lr=0.05))))
    arch_ids = {id(p) for p in alg.mutator.parameters()}
    assert arch_ids.isdisjoint(
        id(p) for g in wrappers['architecture'].optimizer.param_groups
        for p in g['params'])
    alphas = [p.detach().clone() for p in alg.mutator.arch_parameters()]
    stem = alg.architecture.backbone.stem.conv.weight.detach().clone()
    log_vars = alg.train_step(batch, wrappers)
    for key in ('loss_max', 'loss_min', 'loss_sample', 'loss_arch',
                'loss_flops', 'expected_mflops', 'accuracy_top-1'):
        assert key in log_vars
    assert not torch.equal(stem, alg.architecture.backbone.stem.conv.weight)
    assert any(not torch.equal(a, p) for a, p in zip(
        alphas, alg.mutator.arch_parameters()))
    # the supernet is left at full width without masks for validation
    assert all(m.mask is None and m.current_choice == m.max_choice
               for m in alg.mutator.mutables.values())
    with pytest.raises(TypeError, match='SeparateOptimWrapperConstructor'):
        alg.train_step(batch, OptimWrapper(torch.optim.SGD(
            alg.parameters(), lr=0.1)))


def test_export_and_retrain_exact_widths(tmp_path, batch):
    alg = MODELS.build(dmcp_cfg())
    widths = alg.structures()['expected']
    paths = save_subnet(widths, str(tmp_path / 'model_sample'),
                        dict(mflops=float(alg.flops(widths)) / 1e6))
    doc = yaml.safe_load(open(paths['yaml']))
    assert doc['widths'] == widths
    assert np.load(paths['npy']).tolist() == list(widths.values())
    for path in paths.values():
        pruned = MODELS.build(dmcp_cfg(retraining=True, mutable_cfg=path))
        backbone = pruned.architecture.backbone
        assert {m.name: m.choices for m in backbone.mutables.values()} == {
            n: [w] for n, w in widths.items()}
        assert backbone.conv2.conv.weight.shape[0] == widths['conv2']
        assert pruned.architecture.head.fc.in_features == widths['conv2']
        assert not hasattr(pruned, 'mutator')
        wrapper = build_optim_wrapper(
            pruned, dict(optimizer=dict(type='SGD', lr=0.1)))
        assert 'loss' in pruned.train_step(batch, wrapper)


def test_mutable_cfg_errors_name_the_layer(tmp_path):
    alg = MODELS.build(dmcp_cfg())
    widths = alg.mutator.max_choices()
    path = tmp_path / 'subnet.yaml'

    too_wide = dict(widths, **{'layer3.1.expand': 10_000})
    path.write_text(yaml.safe_dump(dict(widths=too_wide)))
    with pytest.raises(ValueError, match=r"layer 'layer3\.1\.expand' width "
                       r'10000 is outside \[1, \d+\]'):
        MODELS.build(dmcp_cfg(retraining=True, mutable_cfg=str(path)))

    path.write_text(yaml.safe_dump(dict(widths=dict(widths, layer9=8))))
    with pytest.raises(ValueError, match="layer 'layer9' does not exist"):
        MODELS.build(dmcp_cfg(retraining=True, mutable_cfg=str(path)))

    names = list(widths)
    maxes = dict(widths)
    npy = tmp_path / 'subnet.npy'
    np.save(npy, np.asarray(list(widths.values())[:-1]))
    with pytest.raises(ValueError, match='expected 25 widths'):
        load_subnet(str(npy), names, maxes)
    with pytest.raises(ValueError, match='does not exist'):
        load_subnet(str(tmp_path / 'nope.npy'), names, maxes)
    with pytest.raises(ValueError, match='needs algorithm.mutable_cfg'):
        MODELS.build(dmcp_cfg(retraining=True))


def test_separate_optim_wrappers_name_bad_keys():
    alg = MODELS.build(dmcp_cfg())
    with pytest.raises(ValueError, match=r"optim_wrapper\.arch: DMCP has no "
                       "sub-module 'arch'"):
        build_optim_wrapper(alg, dict(
            constructor='gml.SeparateOptimWrapperConstructor',
            arch=dict(optimizer=dict(type='SGD', lr=0.1))))
    with pytest.raises(ValueError, match=r'optim_wrapper\.mutator: expected'):
        build_optim_wrapper(alg, dict(
            constructor='gml.SeparateOptimWrapperConstructor',
            mutator=dict(type='SGD', lr=0.1)))


def test_divisor_makes_exported_widths_multiples_of_it(tmp_path):
    """Expected widths are continuous; with ``search_space.divisor=8`` the
    exported structure rounds them to multiples of 8, and the retraining
    model is built with exactly those widths."""
    torch.manual_seed(0)
    cfg = dmcp_cfg()
    cfg['model']['backbone']['search_space']['divisor'] = 8
    cfg['model']['backbone']['widen_factor'] = 1.0
    alg = MODELS.build(cfg)
    for alpha in alg.mutator.arch_params.values():
        alpha.data.normal_(0, 2)
    expected = alg.mutator.expected_widths()
    widths = alg.structures()['expected']
    assert all(w % 8 == 0 and w >= 8 for w in widths.values())
    for name, w in widths.items():  # the nearest multiple, within range
        mutable = alg.mutator.mutables[name]
        assert abs(w - float(expected[name])) <= 4 or \
            w in (8, mutable.max_choice)
    assert any(float(e) % 8 > 0.5 for e in expected.values())
    path = save_subnet(widths, str(tmp_path / 'model_sample'), {})['yaml']
    retrain = dmcp_cfg(retraining=True, mutable_cfg=path)
    retrain['model']['backbone']['widen_factor'] = 1.0
    backbone = MODELS.build(retrain).architecture.backbone
    assert {m.name: m.max_choice for m in backbone.mutables.values()} == \
        widths
