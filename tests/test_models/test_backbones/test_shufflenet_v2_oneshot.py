import pytest
import torch

from gml.models.backbones.shufflenet_v2_oneshot import (CHOICES,
                                                        ShuffleNetV2_OneShot,
                                                        build_choice)
from gml.models.mutables import OneShotMutableOP


def test_spos_search_space_shape():
    net = ShuffleNetV2_OneShot(widen_factor=0.125, stem_channels=8,
                               last_channels=32)
    blocks = [m for m in net.modules() if isinstance(m, OneShotMutableOP)]
    assert len(blocks) == 20
    assert all(tuple(b.choices) == CHOICES for b in blocks)
    # ImageNet stem (stride 2 + max-pool) and 4 stride-2 stages: /32
    out = net(torch.randn(2, 3, 64, 64))
    assert len(out) == 1 and out[0].shape == (2, 32, 2, 2)


def test_small_input_options_and_out_indices():
    net = ShuffleNetV2_OneShot(widen_factor=0.125, stem_channels=8,
                               stem_stride=1, stem_pool=False,
                               strides=(1, 2, 2, 1), last_channels=32,
                               out_indices=(0, 1, 2, 3, 4))
    outs = net(torch.randn(2, 3, 8, 8))
    assert [tuple(o.shape[1:]) for o in outs] == [
        (8, 8, 8), (20, 4, 4), (40, 2, 2), (80, 2, 2), (32, 2, 2)]


def test_every_choice_forwards_at_every_position():
    net = ShuffleNetV2_OneShot(widen_factor=0.125, stem_channels=8,
                               stem_stride=1, stem_pool=False,
                               last_channels=16, stage_blocks=(1, 1, 2, 1))
    x = torch.randn(2, 3, 16, 16)
    for choice in CHOICES:
        for m in net.modules():
            if isinstance(m, OneShotMutableOP):
                m.current_choice = choice
        assert net(x)[0].shape == (2, 16, 1, 1)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='out_indices'):
        ShuffleNetV2_OneShot(out_indices=(5, ))
    with pytest.raises(ValueError, match='strides needs 4 values'):
        ShuffleNetV2_OneShot(strides=(1, 2))


def test_shared_projections_are_one_module_and_a_subnet_keeps_its_ops():
    from gml.models.mutables import OneShotMutableOP
    kwargs = dict(widen_factor=0.125, stem_channels=8, stem_stride=1,
                  stage_blocks=(1, 1, 1, 1), strides=(1, 2, 2, 1),
                  last_channels=32)
    own = ShuffleNetV2_OneShot(**kwargs)
    shared = ShuffleNetV2_OneShot(share_projections=True, **kwargs)
    assert (sum(p.numel() for p in shared.parameters())
            < sum(p.numel() for p in own.parameters()))
    blocks = [m for m in shared.modules() if isinstance(m, OneShotMutableOP)]
    for block in blocks:
        ops = [block._candidates[c] for c in block.choices]
        assert all(op.branch2[-1] is ops[0].branch2[-1] for op in ops)
        if not ops[0].split:
            assert all(op.branch1 is ops[0].branch1 for op in ops)
        kxk = ops[:3]  # 3x3, 5x5, 7x7: one input 1x1 conv
        assert all(op.branch2[0] is kxk[0].branch2[0] for op in kxk)
        # the depthwise convs stay each candidate's own
        assert kxk[0].branch2[1] is not kxk[1].branch2[1]
    x = torch.randn(2, 3, 8, 8)
    block = blocks[1]
    block.fix_chosen('shuffle_7x7')  # the shared modules survive the fix
    assert shared(x)[0].shape == own(x)[0].shape


def test_skip_choice_where_the_shape_is_kept_and_grayscale_input():
    net = ShuffleNetV2_OneShot(widen_factor=0.125, stem_channels=8,
                               stem_stride=1, strides=(1, 2, 2, 1),
                               stage_blocks=(2, 2, 1, 2), last_channels=32,
                               choices=CHOICES + ('skip', ), in_channels=1,
                               share_projections=True)
    blocks = [b for stage in net.layers[:4] for b in stage]
    # a stage's first block widens or downsamples: no identity there
    # (stem 8 wide = stage 1: its first block keeps the shape too)
    assert ['skip' in b.choices for b in blocks] == [
        True, True, False, True, False, False, True]
    for b in blocks:
        b.fix_chosen('skip' if 'skip' in b.choices else 'shuffle_3x3')
    x = torch.randn(2, 1, 16, 16)
    deep = net(x)[0]
    assert deep.shape == (2, 32, 4, 4)
    # a skipped block is the identity: removing it changes nothing
    stage = net.layers[0]
    y = net.conv1(x)
    assert torch.equal(stage[1](y), y)
    with pytest.raises(ValueError, match="'skip' needs stride 1"):
        build_choice('skip', 8, 8, 2, dict(type='BN'), dict(type='ReLU'))
