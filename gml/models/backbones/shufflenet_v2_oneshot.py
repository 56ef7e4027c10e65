"""SPOS's search space: ShuffleNetV2 with a 4-way choice in each of 20 blocks.

Each block is an :class:`OneShotMutableOP` over ``shuffle_3x3``,
``shuffle_5x5``, ``shuffle_7x7`` (ShuffleNetV2 units with that depthwise
kernel) and ``shuffle_xception`` (three depthwise 3x3 convs). Guo et al.,
"Single Path One-Shot Neural Architecture Search with Uniform Sampling".
"""
import contextlib
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from gml.registry import MODELS

from ..mutables import OneShotMutableOP

#: output channels of each stage at widen_factor=1.0.
STAGE_WIDTHS = (64, 160, 320, 640)
#: the candidate names, the first being the supernet's default path.
CHOICES = ('shuffle_3x3', 'shuffle_5x5', 'shuffle_7x7', 'shuffle_xception')
#: an extra candidate (not in SPOS's space): the block is left out, so the
#: search also picks depth. Offered only where a block keeps the shape.
SKIP = 'skip'


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    n, c, h, w = x.shape
    if _ShuffleUnit.gather_shuffle:
        # the same permutation as one channel gather (see
        # _ShuffleUnit.pruning_trace_context)
        perm = torch.arange(c, device=x.device).view(groups, c // groups)
        return x[:, perm.t().reshape(-1)]
    x = x.view(n, groups, c // groups, h, w).transpose(1, 2)
    return x.reshape(n, c, h, w)


class _ShuffleUnit(BaseModule):
    """A ShuffleNetV2 unit: split (or downsample), transform half, shuffle."""

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 norm_cfg: Dict, act_cfg: Dict, init_cfg=None):
        super().__init__(init_cfg)
        if stride not in (1, 2):
            raise ValueError(f'stride must be 1 or 2, got {stride}')
        if out_channels % 2:
            raise ValueError(f'out_channels must be even, got {out_channels}')
        self.stride = stride
        # a unit that keeps shape splits its input; one that downsamples or
        # widens feeds the whole input to two branches
        self.split = stride == 1 and in_channels == out_channels
        self.branch_channels = out_channels // 2
        conv = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        if not self.split:
            # the shortcut half downsamples the whole input
            self.branch1 = nn.Sequential(
                ConvModule(in_channels, in_channels, 3, stride, 1,
                           groups=in_channels, norm_cfg=norm_cfg,
                           act_cfg=None),
                ConvModule(in_channels, self.branch_channels, 1, **conv))
        branch2_in = self.branch_channels if self.split else in_channels
        self.branch2 = self._make_branch2(branch2_in, stride, norm_cfg,
                                          act_cfg)

    #: shuffle by a channel gather instead of view/transpose/reshape
    gather_shuffle = False

    @staticmethod
    @contextlib.contextmanager
    def pruning_trace_context():
        """While torch-pruning traces (gml.GroupPruning): its tracer reads
        the 5-D view of the shuffle as a flatten and fails (ZeroDivisionError
        in its reshape index mapping, Torch-Pruning #14); a gather it reads
        as an element-wise op, and GroupPruning then keeps the channels that
        reach a gather (the units' outputs) unpruned."""
        _ShuffleUnit.gather_shuffle = True
        try:
            yield
        finally:
            _ShuffleUnit.gather_shuffle = False

    def _make_branch2(self, in_channels, stride, norm_cfg, act_cfg):
        raise NotImplementedError

    def forward(self, x):
        if self.split and self.gather_shuffle:
            # slices: the tracer maps their indices (chunk into cat: not)
            half = x.shape[1] // 2
            x1, x2 = x[:, :half], x[:, half:]
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        elif self.split:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


@MODELS.register_module()
class ShuffleBlock(_ShuffleUnit):
    """pw 1x1 -> dw kxk -> pw 1x1 on the transformed half.

    Args:
        in_channels: the unit's input channels.
        out_channels: the unit's output channels.
        kernel_size: the depthwise conv's kernel size (3, 5 or 7).
        stride: 1 (half the channels pass through) or 2 (both halves
            transformed, resolution halved).
        norm_cfg: the normalisation layers.
        act_cfg: the activation.
        init_cfg: mmengine's initialisation config.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'), init_cfg=None):
        self.kernel_size = kernel_size
        super().__init__(in_channels, out_channels, stride, norm_cfg, act_cfg,
                         init_cfg)

    def _make_branch2(self, in_channels, stride, norm_cfg, act_cfg):
        mid = self.branch_channels
        k = self.kernel_size
        return nn.Sequential(
            ConvModule(in_channels, mid, 1, norm_cfg=norm_cfg,
                       act_cfg=act_cfg),
            ConvModule(mid, mid, k, stride, k // 2, groups=mid,
                       norm_cfg=norm_cfg, act_cfg=None),
            ConvModule(mid, mid, 1, norm_cfg=norm_cfg, act_cfg=act_cfg))


@MODELS.register_module()
class ShuffleXception(_ShuffleUnit):
    """Three (dw 3x3 -> pw 1x1) pairs on the transformed half.

    Args:
        in_channels: the unit's input channels.
        out_channels: the unit's output channels.
        stride: 1 (half the channels pass through) or 2 (both halves
            transformed, resolution halved).
        norm_cfg: the normalisation layers.
        act_cfg: the activation.
        init_cfg: mmengine's initialisation config.
    """

    def _make_branch2(self, in_channels, stride, norm_cfg, act_cfg):
        mid = self.branch_channels
        layers = []
        for i, cin in enumerate((in_channels, mid, mid)):
            layers += [
                ConvModule(cin, cin, 3, stride if i == 0 else 1, 1,
                           groups=cin, norm_cfg=norm_cfg, act_cfg=None),
                ConvModule(cin, mid, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)]
        return nn.Sequential(*layers)


def build_choice(choice: str, in_channels: int, out_channels: int,
                 stride: int, norm_cfg: Dict, act_cfg: Dict) -> nn.Module:
    """The standalone op a choice name stands for."""
    common = dict(in_channels=in_channels, out_channels=out_channels,
                  stride=stride, norm_cfg=norm_cfg, act_cfg=act_cfg)
    if choice == 'shuffle_xception':
        return ShuffleXception(**common)
    if choice == SKIP:
        if stride != 1 or in_channels != out_channels:
            raise ValueError(f'{SKIP!r} needs stride 1 and in_channels == '
                             f'out_channels, got {stride}, {in_channels}, '
                             f'{out_channels}')
        return nn.Identity()
    kernel = {'shuffle_3x3': 3, 'shuffle_5x5': 5, 'shuffle_7x7': 7}.get(
        choice)
    if kernel is None:
        raise ValueError(f'unknown choice {choice!r}; allowed: {CHOICES}')
    return ShuffleBlock(kernel_size=kernel, **common)


def _share_projections(ops: Dict[str, nn.Module]) -> None:
    """Make the candidates of one block use the first one's 1x1 projections
    (same module objects: one set of weights, trained by every path)."""
    units = [op for op in ops.values() if isinstance(op, _ShuffleUnit)]
    if not units:
        return
    ref = units[0]
    first_pw = None
    for op in units:
        if not op.split:
            op.branch1 = ref.branch1
        op.branch2[-1] = ref.branch2[-1]  # mid -> mid 1x1 in every choice
        if isinstance(op, ShuffleBlock):
            first_pw = first_pw or op.branch2[0]
            op.branch2[0] = first_pw  # in -> mid 1x1 of the kxk units


@MODELS.register_module()
class ShuffleNetV2_OneShot(BaseModule):
    """The SPOS supernet backbone.

    Args:
        widen_factor: multiplies the stage widths (64, 160, 320, 640);
            widths are rounded to even numbers.
        stem_channels: width of the first 3x3 conv.
        stem_stride: stride of the first conv; 1 for tiny images (8x8).
        stem_pool: whether a 3x3/2 max-pool follows the stem (SPOS has
            none: 224 -> 7x7 after the stem and four stride-2 stages).
        last_channels: width of the final 1x1 conv (layer index 4).
        stage_blocks: blocks per stage; SPOS's space is ``(4, 4, 8, 4)``
            (20 choice blocks), fewer make a quick small-data variant.
        strides: stride of the first block of each stage (the others keep
            the shape); ``(1, 2, 2, 1)`` with ``stem_stride=1`` suits 8x8.
        out_indices: which of layers 0-3 (stages) and 4 (last conv) to
            return.
        norm_cfg, act_cfg: as in mmcv's ConvModule.
        choices: the candidate names of every block (default: all four);
            ``'skip'`` (identity) is offered only in the blocks that keep
            the shape (not a stage's first block where it downsamples or
            widens).
        in_channels: channels of the input images (1 for grayscale).
        zero_init_branch: start every candidate with the last BN of its
            transform branch at zero, so each block begins close to a
            shuffle of its input; steadies short supernet trainings where
            every step runs a different path.
        share_projections: the candidates of a block share their 1x1
            projections (the shortcut branch, the output 1x1 conv, and for
            the 3x3/5x5/7x7 units the input 1x1 conv); they keep their own
            depthwise convs. SPOS (False) gives every candidate its own
            projections, so channel ``k`` means something else after each
            candidate and the next block sees a different mix every step:
            a supernet then needs ImageNet-length training to co-adapt.
            Shared projections keep channels aligned across candidates,
            which lets a supernet learn in a few hundred steps (the digits
            configs). A fixed subnet keeps exactly its own ops either way.
    """

    def __init__(self,
                 widen_factor: float = 1.0,
                 stem_channels: int = 16,
                 stem_stride: int = 2,
                 stem_pool: bool = False,
                 last_channels: int = 1024,
                 stage_blocks: Sequence[int] = (4, 4, 8, 4),
                 strides: Sequence[int] = (2, 2, 2, 2),
                 out_indices: Sequence[int] = (4, ),
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 choices: Sequence[str] = CHOICES,
                 zero_init_branch: bool = False,
                 share_projections: bool = False,
                 in_channels: int = 3,
                 init_cfg: Optional[Dict] = None):
        super().__init__(init_cfg)
        for i in out_indices:
            if i not in range(5):
                raise ValueError(f'out_indices must be in 0..4, got {i}')
        self.out_indices = tuple(out_indices)
        self.conv1 = ConvModule(in_channels, stem_channels, 3, stem_stride, 1,
                                norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.maxpool = (nn.MaxPool2d(3, 2, 1) if stem_pool
                        else nn.Identity())
        self.layers = nn.ModuleList()
        in_channels = stem_channels
        for name, values in (('stage_blocks', stage_blocks),
                             ('strides', strides)):
            if len(values) != len(STAGE_WIDTHS):
                raise ValueError(f'{name} needs {len(STAGE_WIDTHS)} values '
                                 f'(one per stage), got {tuple(values)}')
        for num_blocks, width, first_stride in zip(stage_blocks, STAGE_WIDTHS,
                                                   strides):
            out_channels = max(2, int(round(width * widen_factor / 2)) * 2)
            stage = nn.ModuleList()
            for j in range(num_blocks):
                stride = first_stride if j == 0 else 1
                keeps_shape = stride == 1 and in_channels == out_channels
                ops = {c: build_choice(c, in_channels, out_channels, stride,
                                       norm_cfg, act_cfg)
                       for c in choices if c != SKIP or keeps_shape}
                if share_projections:
                    _share_projections(ops)
                stage.append(OneShotMutableOP(ops))
                in_channels = out_channels
            self.layers.append(stage)
        self.layers.append(ConvModule(in_channels, last_channels, 1,
                                      norm_cfg=norm_cfg, act_cfg=act_cfg))
        self.zero_init_branch = zero_init_branch
        self._zero_init_branches()

    def _zero_init_branches(self) -> None:
        if self.zero_init_branch:
            for m in self.modules():
                if isinstance(m, _ShuffleUnit):
                    nn.init.zeros_(m.branch2[-1].norm.weight)

    def init_weights(self) -> None:
        super().init_weights()  # ConvModule resets its norms to 1 here
        self._zero_init_branches()

    def forward(self, x):
        x = self.maxpool(self.conv1(x))
        outs = []
        for i, layer in enumerate(self.layers):
            if isinstance(layer, nn.ModuleList):
                for block in layer:
                    x = block(x)
            else:
                x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
