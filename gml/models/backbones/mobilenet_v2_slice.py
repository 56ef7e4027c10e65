"""MobileNetV2 whose layer widths can be sliced at run time.

Every prunable width is a :class:`MutableChannel`: the stem, each block's
expanded (hidden) width, each stage's output width (shared by the stage's
blocks because their residual additions must agree), and the last 1x1 conv.
Layers allocate weights for the widest candidate and slice them to the
current width, so one set of weights serves every sub-network (the DMCP
supernet). Built with ``widths=`` it is an ordinary MobileNetV2 of exactly
those widths (the retraining model).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from gml.models.mutables.mutable_channel import MutableChannel
from gml.registry import MODELS

# expand ratio t, base channels c, blocks n, stride s (Sandler et al., 2018)
ARCH_SETTINGS = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2],
                 [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]
STEM_CHANNELS = 32
SEARCH_SPACE_KEYS = ('min_ratio', 'max_ratio', 'step', 'divisor')


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round to a multiple of ``divisor``, never losing more than 10 %."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new


def width_ratios(search_space: dict) -> List[float]:
    """The width multipliers a search space allows (``[1.0]`` if empty)."""
    unknown = set(search_space) - set(SEARCH_SPACE_KEYS)
    if unknown:
        raise ValueError(f'MobileNetV2Slice: unknown search_space keys '
                         f'{sorted(unknown)}; expected {SEARCH_SPACE_KEYS}')
    lo = float(search_space.get('min_ratio', 1.0))
    hi = float(search_space.get('max_ratio', max(lo, 1.0)))
    step = float(search_space.get('step', 0.1))
    if not 0 < lo <= hi or step <= 0:
        raise ValueError(
            f'MobileNetV2Slice: search_space needs 0 < min_ratio <= '
            f'max_ratio and step > 0, got {search_space}')
    count = int(round((hi - lo) / step)) + 1
    return [min(hi, lo + k * step) for k in range(count)]


def width_divisor(search_space: dict) -> int:
    """The multiple every searched width is rounded to (1 if unset)."""
    divisor = search_space.get('divisor', 1)
    if isinstance(divisor, bool) or not isinstance(divisor, int) or \
            divisor < 1:
        raise ValueError(f'MobileNetV2Slice: search_space.divisor must be '
                         f'an integer >= 1, got {divisor!r}')
    return divisor


class SliceConvBN(nn.Module):
    """Conv + BN (+ ReLU6) whose channels follow the mutables.

    Input channels are whatever the input has; output channels are
    ``out_mutable.current_choice`` (a depthwise conv keeps its input's).
    When the mutable carries a soft mask, the BN output is scaled by it.

    Args:
        max_in: the most input channels (the weight's size).
        out_mutable: the mutable that sets the output channels.
        kernel_size: the conv's kernel size.
        stride: the conv's stride.
        depthwise: a depthwise conv (output channels = input channels).
        act: ReLU6 after BN.
    """

    def __init__(self, max_in: int, out_mutable: MutableChannel,
                 kernel_size: int = 1, stride: int = 1,
                 depthwise: bool = False, act: bool = True):
        super().__init__()
        max_out = max_in if depthwise else out_mutable.max_choice
        self.conv = nn.Conv2d(max_in, max_out, kernel_size, stride,
                              kernel_size // 2, bias=False,
                              groups=max_in if depthwise else 1)
        self.bn = nn.BatchNorm2d(max_out)
        # A plain attribute, not a submodule: mutables are owned (and
        # registered once) by the backbone, and may be shared.
        self.__dict__['out_mutable'] = out_mutable
        self.depthwise = depthwise
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cin = x.size(1)
        if self.depthwise:
            cout = cin
            weight = self.conv.weight[:cout]
        else:
            cout = self.out_mutable.current_choice
            weight = self.conv.weight[:cout, :cin]
        x = F.conv2d(x, weight, None, self.conv.stride, self.conv.padding,
                     1, cout if self.depthwise else 1)
        x = self._batch_norm(x, cout)
        mask = self.out_mutable.mask
        if mask is not None and not self.depthwise:
            x = x * mask[:cout].view(1, -1, 1, 1)
        return F.relu6(x) if self.act else x

    def _batch_norm(self, x: torch.Tensor, cout: int) -> torch.Tensor:
        bn = self.bn
        training = bn.training or bn.running_mean is None
        momentum = bn.momentum
        if bn.training and bn.num_batches_tracked is not None:
            bn.num_batches_tracked.add_(1)
            if momentum is None:  # cumulative moving average
                momentum = 1.0 / float(bn.num_batches_tracked)
        # Slices of the running statistics are views: updates land in place.
        return F.batch_norm(x, bn.running_mean[:cout], bn.running_var[:cout],
                            bn.weight[:cout], bn.bias[:cout], training,
                            momentum or 0.0, bn.eps)


class InvertedResidualSlice(nn.Module):
    """MobileNetV2 block: 1x1 expand, 3x3 depthwise, 1x1 project.

    Args:
        in_mutable: the mutable of the block's input channels.
        mid_mutable: the mutable of the expanded channels (None: no 1x1
            expansion, as in MobileNetV2's first block).
        out_mutable: the mutable of the output channels.
        stride: the depthwise conv's stride.
    """

    def __init__(self, in_mutable: MutableChannel,
                 mid_mutable: Optional[MutableChannel],
                 out_mutable: MutableChannel, stride: int):
        super().__init__()
        # expand ratio 1: the depthwise conv works on the input channels
        mid = mid_mutable or in_mutable
        self.expand = None if mid_mutable is None else SliceConvBN(
            in_mutable.max_choice, mid_mutable)
        self.depthwise = SliceConvBN(mid.max_choice, mid, 3, stride,
                                     depthwise=True)
        self.project = SliceConvBN(mid.max_choice, out_mutable, act=False)
        self.use_residual = stride == 1 and in_mutable is out_mutable
        self.__dict__['in_mutable'] = in_mutable  # not a submodule

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x if self.expand is None else self.expand(x)
        out = self.project(self.depthwise(out))
        return x + out if self.use_residual else out


@MODELS.register_module()
class MobileNetV2Slice(BaseModule):
    """A MobileNetV2 supernet with a mutable width per prunable layer.

    Args:
        search_space (dict): ``min_ratio``, ``max_ratio`` and ``step`` of the
            width multipliers each layer may take relative to its standard
            width (e.g. ``dict(min_ratio=0.1, max_ratio=1.5, step=0.1)``).
            ``dict()`` means the standard MobileNetV2 widths only. The last
            conv never widens beyond ``last_channels``. ``divisor=8``
            rounds every searched and exported width to a multiple of 8
            (duplicates dropped; the standard widths are multiples of 8
            already), which onnxruntime's CPU convolutions need to gain
            from fewer channels; default 1, whole channels.
        widths (dict, optional): ``{layer name: width}`` for every layer; the
            network is then allocated with exactly these widths (an ordinary
            MobileNetV2, e.g. for retraining a pruned structure).
        widen_factor (float): scales the standard widths (rounded to 8).
        last_channels (int): standard width of the last 1x1 conv.
        stem_stride (int): stride of the stem conv (2 on ImageNet; 1 for
            tiny inputs such as the 8x8 digits).
        strides (Sequence[int]): stride of the first block of each of the
            7 stages.
        in_channels (int): image channels.
    """

    def __init__(self,
                 search_space: Optional[dict] = None,
                 widths: Optional[Dict[str, int]] = None,
                 widen_factor: float = 1.0,
                 last_channels: int = 1280,
                 stem_stride: int = 2,
                 strides: Sequence[int] = (1, 2, 2, 2, 1, 2, 1),
                 in_channels: int = 3,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg or [
            dict(type='Kaiming', layer='Conv2d'),
            dict(type='Constant', val=1, layer='BatchNorm2d')])
        if len(strides) != len(ARCH_SETTINGS):
            raise ValueError(f'MobileNetV2Slice: strides needs '
                             f'{len(ARCH_SETTINGS)} values, got {strides}')
        self.ratios = width_ratios(search_space or {})
        self.divisor = width_divisor(search_space or {})
        self.in_channels = in_channels
        self.stem_stride = stem_stride
        self.strides = tuple(strides)
        self.mutables = nn.ModuleDict()
        self._widths = widths

        stem = self._mutable('stem', make_divisible(STEM_CHANNELS *
                                                    widen_factor))
        self.stem = SliceConvBN(in_channels, stem, 3, stem_stride)
        in_mutable, base_in = stem, make_divisible(STEM_CHANNELS *
                                                   widen_factor)
        self.layers = nn.ModuleList()
        for i, ((t, c, n, _), s) in enumerate(zip(ARCH_SETTINGS, strides)):
            base_out = make_divisible(c * widen_factor)
            out_mutable = self._mutable(f'layer{i + 1}', base_out)
            blocks = []
            for j in range(n):
                mid = None if t == 1 else self._mutable(
                    f'layer{i + 1}.{j}.expand', base_in * t)
                blocks.append(InvertedResidualSlice(
                    in_mutable, mid, out_mutable, s if j == 0 else 1))
                in_mutable, base_in = out_mutable, base_out
            self.layers.append(nn.Sequential(*blocks))
        last = self._mutable('conv2', last_channels, widen=False)
        self.conv2 = SliceConvBN(in_mutable.max_choice, last)
        if widths is not None:
            unknown = set(widths) - set(self.layer_names)
            if unknown:
                raise ValueError(f'MobileNetV2Slice: widths name layers '
                                 f'that do not exist: {sorted(unknown)}')

    def _mutable(self, name: str, base: int,
                 widen: bool = True) -> MutableChannel:
        if self._widths is not None:
            if name not in self._widths:
                raise ValueError(f'MobileNetV2Slice: widths lacks layer '
                                 f'{name!r}')
            candidates = [self._widths[name]]
        else:
            ratios = self.ratios if widen else (
                [r for r in self.ratios if r <= 1.0] or [1.0])
            d = self.divisor
            candidates = [max(d, round(base * r / d) * d) for r in ratios]
        mutable = MutableChannel(name, candidates,
                                 divisor=1 if self._widths else self.divisor)
        self.mutables[name.replace('.', '_')] = mutable
        return mutable

    @property
    def layer_names(self) -> List[str]:
        return [m.alias for m in self.mutables.values()]

    @property
    def out_channels(self) -> int:
        return self.mutables['conv2'].max_choice

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x)
        return (self.conv2(x), )

    def flops_terms(self, input_hw: Tuple[int, int]
                    ) -> Tuple[List[Tuple[int, Tuple[str, ...]]],
                               Tuple[int, int]]:
        """FLOPs as a polynomial of the layer widths.

        Returns ``(terms, out_hw)``: FLOPs = sum of ``coef * prod(width of
        each named layer)`` over the terms, counted the way
        ``mmengine.analysis`` counts (conv: kernel MACs; eval BatchNorm:
        2 per output element), and the spatial size of the output.
        """
        terms = []

        def conv_bn(hw, cin, cout, k, stride, depthwise=False):
            hw = tuple((d - 1) // stride + 1 for d in hw)
            area = hw[0] * hw[1]
            if depthwise:  # k*k MACs per output element
                terms.append((k * k * area, (cout, )))
            elif isinstance(cin, int):  # fixed input channels (the image)
                terms.append((k * k * area * cin, (cout, )))
            else:
                terms.append((k * k * area, (cin, cout)))
            terms.append((2 * area, (cout, )))  # BatchNorm (eval)
            return hw

        hw = conv_bn(tuple(input_hw), self.in_channels, 'stem', 3,
                     self.stem_stride)
        for layer in self.layers:
            for block in layer:
                mid = block.depthwise.out_mutable.name
                if block.expand is not None:
                    hw = conv_bn(hw, block.in_mutable.name, mid, 1, 1)
                hw = conv_bn(hw, mid, mid, 3, block.depthwise.conv.stride[0],
                             depthwise=True)
                hw = conv_bn(hw, mid, block.project.out_mutable.name, 1, 1)
        last_stage = self.layers[-1][-1].project.out_mutable.name
        hw = conv_bn(hw, last_stage, 'conv2', 1, 1)
        return terms, hw
