"""MobileNetV2Slice: sliced widths forward, and analytic FLOPs == mmengine."""
import random

import pytest
import torch
from mmengine.analysis import FlopAnalyzer

from gml.models.backbones.mobilenet_v2_slice import (MobileNetV2Slice,
                                                     width_ratios)
from gml.registry import MODELS

SEARCH = dict(min_ratio=0.2, max_ratio=1.5, step=0.1)


def classifier(backbone: dict, num_classes=10):
    last = MODELS.build(dict(backbone)).out_channels
    return MODELS.build(dict(
        type='gml.ImageClassifierSearch',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='gml.LinearClsHead_WithFLOPs',
                  num_classes=num_classes, in_channels=last))).eval()


class Logits(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.logits(x)


def mmengine_flops(model, input_size) -> float:
    analyzer = FlopAnalyzer(Logits(model), torch.randn(1, *input_size))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer.total()


def random_widths(backbone, rng):
    return {m.name: rng.choice(m.choices)
            for m in backbone.mutables.values()}


def test_empty_search_space_is_standard_mobilenet_v2():
    net = MobileNetV2Slice(search_space=dict())
    widths = {m.name: m.choices for m in net.mutables.values()}
    assert widths['stem'] == [32]
    assert widths['layer1'] == [16] and widths['layer7'] == [320]
    assert widths['layer2.0.expand'] == [96]  # 16 * 6
    assert widths['layer6.2.expand'] == [960]  # 160 * 6
    assert widths['conv2'] == [1280]
    assert all(len(c) == 1 for c in widths.values())
    # 1 stem + 7 stage outputs + 16 expanded blocks + last conv
    assert len(widths) == 25


def test_search_space_candidates_and_bad_keys():
    assert width_ratios(dict(min_ratio=0.5, max_ratio=1.0, step=0.25)) == [
        0.5, 0.75, 1.0]
    net = MobileNetV2Slice(search_space=SEARCH)
    stem = net.mutables['stem']
    assert stem.max_choice == 48 and stem.min_choice == round(32 * 0.2)
    # the last conv never widens beyond its standard width (head input)
    assert net.out_channels == 1280
    with pytest.raises(ValueError, match='unknown search_space keys'):
        MobileNetV2Slice(search_space=dict(max_width=1.0))


def test_residual_blocks_share_one_width():
    net = MobileNetV2Slice(search_space=SEARCH, stem_stride=1)
    stage = net.layers[2]  # three blocks, the last two residual
    outs = {id(block.project.out_mutable) for block in stage}
    assert len(outs) == 1 and [b.use_residual for b in stage] == [
        False, True, True]
    net.mutables['layer3'].current_choice = 7
    feats = []
    for block in stage:
        block.register_forward_hook(lambda m, i, o: feats.append(o.shape[1]))
    net(torch.randn(2, 3, 8, 8))
    assert feats == [7, 7, 7]


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_sampled_widths_forward_and_flops_match_mmengine(seed):
    rng = random.Random(seed)
    backbone = dict(type='gml.MobileNetV2Slice', search_space=SEARCH,
                    widen_factor=0.5, last_channels=128)
    model = classifier(backbone)
    widths = random_widths(model.backbone, rng)
    for m in model.backbone.mutables.values():
        m.current_choice = widths[m.name]
    input_size = (3, 32, 32)
    logits = model.logits(torch.randn(2, *input_size))
    assert logits.shape == (2, 10)
    analytic = model.flops(widths, input_size)
    measured = mmengine_flops(model, input_size)
    assert abs(analytic - measured) / measured < 0.01, (analytic, measured)

    # the same widths built as an ordinary network (the retraining model)
    subnet = classifier(dict(backbone, widths=widths))
    assert subnet.backbone.mutables['stem'].choices == [widths['stem']]
    conv = subnet.backbone.layers[1][0].expand.conv
    assert conv.weight.shape[:2] == (widths['layer2.0.expand'],
                                     widths['layer1'])
    measured = mmengine_flops(subnet, input_size)
    assert abs(analytic - measured) / measured < 0.01, (analytic, measured)


def test_digits_strides_keep_tiny_inputs_alive():
    net = MobileNetV2Slice(search_space=SEARCH, widen_factor=0.5,
                           last_channels=256, stem_stride=1,
                           strides=(1, 1, 2, 2, 1, 2, 1))
    out = net(torch.randn(2, 3, 8, 8))[0]
    assert out.shape == (2, 256, 1, 1)
    terms, hw = net.flops_terms((8, 8))
    assert hw == (1, 1)


def test_widths_must_name_every_layer():
    net = MobileNetV2Slice(search_space=dict())
    widths = {m.name: m.max_choice for m in net.mutables.values()}
    with pytest.raises(ValueError, match="lacks layer 'conv2'"):
        MobileNetV2Slice(widths={k: v for k, v in widths.items()
                                 if k != 'conv2'})
    with pytest.raises(ValueError, match='layer9'):
        MobileNetV2Slice(widths=dict(widths, layer9=8))


def test_narrow_width_updates_only_its_batchnorm_slice():
    net = MobileNetV2Slice(search_space=SEARCH, stem_stride=1).train()
    net.mutables['stem'].current_choice = 10
    before = net.stem.bn.running_mean.clone()
    net(torch.randn(4, 3, 8, 8))
    after = net.stem.bn.running_mean
    assert not torch.equal(before[:10], after[:10])
    assert torch.equal(before[10:], after[10:])


def test_divisor_rounds_every_searched_width_to_its_multiple():
    """issue 23: widths in multiples of 8 (onnxruntime's fast path)."""
    plain = MobileNetV2Slice(search_space=dict(SEARCH))
    net = MobileNetV2Slice(search_space=dict(SEARCH, divisor=8))
    standard = MobileNetV2Slice(search_space=dict())
    assert any(c % 8 for m in plain.mutables.values() for c in m.choices)
    for name, m in net.mutables.items():
        assert m.divisor == 8
        assert all(c % 8 == 0 for c in m.choices), (name, m.choices)
        assert m.choices == sorted(set(m.choices))
        # the standard width (ratio 1.0) stays a choice
        assert standard.mutables[name].max_choice in m.choices
    assert net.mutables['stem'].choices == [8, 16, 24, 32, 40, 48]
    assert net.mutables['stem'].round_width(13.0) == 16
    assert net.mutables['stem'].round_width(2.0) == 8  # at least one group
    assert net.mutables['stem'].round_width(60.0) == 48  # at most the max
    assert plain.mutables['stem'].round_width(13.4) == 13
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match='search_space.divisor'):
            MobileNetV2Slice(search_space=dict(SEARCH, divisor=bad))
