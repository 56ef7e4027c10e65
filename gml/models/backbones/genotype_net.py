"""A backbone built from any genotype (``gml.structures.genotype``).

Each branch: a stem (conv-BN-act, or any ``stem_cfg``) on the input image,
then its depth levels in order (blocks of one level side by side, outputs
concatenated), then global average pooling. The branches' pooled features are
concatenated: the backbone returns ``(features,)`` of ``out_channels``.

Blocks are named by their genotype ``block_id``
(``branches.<branch>.blocks.b<block_id>``), so a mutated child finds its
parent's weights for every block it kept. Blocks also tell the morphism
code which of their layers produce and read channels (``producers``,
``inner``, ``readers``) and how to start as the identity (``init_identity_``).
"""
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule

from gml.structures.genotype import Block, Genotype, load_genotype
from gml.models.task_modules.morphism.identity import identity_bn_, zero_pair_
from gml.registry import MODELS


#: the default activation: ``nn.ReLU(inplace=True)``, as before it was
#: configurable (same modules, same state dict).
RELU = dict(type='ReLU', inplace=True)
#: Activations with ``act(act(x)) == act(x)``: an identity block inserted
#: after one (deepen) keeps the function exactly.
IDEMPOTENT = ('ReLU', 'ReLU6')


def _act(act_cfg: Optional[dict]) -> nn.Module:
    return build_activation_layer(dict(act_cfg or RELU))


def _dropout(rate: float) -> nn.Module:
    return nn.Dropout(rate) if rate > 0 else nn.Identity()


@torch.no_grad()
def select_(conv: nn.Conv2d, offset: int = 0) -> None:
    """Output channel ``o`` of ``conv`` = input channel ``offset + o`` (a
    centred one in a zero kernel): the identity on a slice of the input."""
    conv.weight.zero_()
    k = conv.kernel_size
    for o in range(conv.out_channels):
        conv.weight[o, offset + o, k[0] // 2, k[1] // 2] = 1.0
    if conv.bias is not None:
        conv.bias.zero_()


class ConvBlock(nn.Module):
    """``conv(k, stride) -> BN -> act -> dropout`` (act: ReLU unless
    ``act_cfg`` says otherwise).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: the conv's kernel size (padding keeps the size).
        stride: the conv's stride.
        drop_rate: dropout after the activation (0: none).
        act_cfg: the activation (None: ReLU).
    """

    producers = (('conv', 'bn'), )
    inner = ()
    readers = ('conv', )
    kernel_convs = ('conv', )

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int, stride: int, drop_rate: float = 0.0,
                 act_cfg: Optional[dict] = None):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                              kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = _act(act_cfg)
        self.drop = _dropout(drop_rate)

    def forward(self, x):
        return self.drop(self.act(self.bn(self.conv(x))))

    def make_shortcut_explicit_(self) -> None:
        """No shortcut: nothing to do (see ``ResBlock``)."""

    @torch.no_grad()
    def init_identity_(self, offset: int, method: str, generator=None):
        """Output = input channels ``[offset, offset + out)`` on a
        non-negative input (a ReLU output), for stride 1."""
        select_(self.conv, offset)
        identity_bn_(self.bn)


class ResBlock(nn.Module):
    """ResNet's basic block: ``relu(shortcut(x) + BN(conv(relu(BN(conv
    (x))))))`` then dropout; the shortcut is a 1x1 conv + BN when the
    stride or width changes, the identity otherwise.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: both convs' kernel size.
        stride: the first conv's (and the shortcut's) stride.
        drop_rate: dropout after the block (0: none).
        act_cfg: the activation (None: ReLU).
    """

    producers = (('conv2', 'bn2'), ('shortcut.0', 'shortcut.1'))
    #: (producer, norm, reader) inside the block, as wide as its output
    inner = (('conv1', 'bn1', 'conv2'), )
    readers = ('conv1', 'shortcut.0')
    kernel_convs = ('conv1', 'conv2')

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int, stride: int, drop_rate: float = 0.0,
                 act_cfg: Optional[dict] = None):
        super().__init__()
        pad = kernel_size // 2
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                               pad, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = _act(act_cfg)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size, 1,
                               pad, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = self._projection(in_channels, out_channels,
                                             stride)
        else:
            self.shortcut = nn.Identity()
        self.act = _act(act_cfg)
        self.drop = _dropout(drop_rate)

    @staticmethod
    def _projection(cin, cout, stride) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                             nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.drop(self.act(out + self.shortcut(x)))

    @torch.no_grad()
    def make_shortcut_explicit_(self) -> None:
        """An identity shortcut becomes a 1x1 identity conv + identity BN
        (same function in eval mode), so widening the block's input or
        output has layers to widen."""
        if isinstance(self.shortcut, nn.Identity):
            c = self.conv1.in_channels
            proj = self._projection(c, c, 1)
            select_(proj[0])
            identity_bn_(proj[1])
            self.shortcut = proj.to(self.conv1.weight)

    @torch.no_grad()
    def init_identity_(self, offset: int, method: str, generator=None):
        """Shortcut selects input channels ``[offset, offset + out)``, the
        residual branch outputs zero: R2R's paired units (``r2r``) or a
        zero last BN (``net2net``: the zero-init residual, since Net2Net
        has no residual blocks)."""
        if not isinstance(self.shortcut, nn.Identity):
            select_(self.shortcut[0], offset)
            identity_bn_(self.shortcut[1])
        if method == 'r2r':
            zero_pair_(self.conv1, self.conv2, self.bn1, generator=generator)
            self.bn2.reset_parameters()
        else:
            self.bn2.weight.zero_()
            self.bn2.bias.zero_()


BLOCKS = {'conv': ConvBlock, 'resnet': ResBlock}


class Branch(nn.Module):
    """One branch: stem, depth levels, global average pooling.

    Args:
        blocks: the branch's genotype blocks.
        levels: ``{depth_id: [blocks]}`` in depth order; blocks of one level
            run side by side and their outputs are concatenated.
        in_channels: input image channels.
        stem_filters: the stem's output channels.
        stem_strides: the stem's stride.
        max_drop_rate: the dropout of the deepest level for blocks whose
            ``dropout`` is True (shallower levels get less).
        act_cfg: the activation (None: ReLU).
        stem_cfg: a registered stem module replacing the conv-BN-act stem.
    """

    def __init__(self, blocks: List[Block], levels, in_channels: int,
                 stem_filters: int, stem_strides: int,
                 max_drop_rate: float, act_cfg: Optional[dict] = None,
                 stem_cfg: Optional[dict] = None):
        super().__init__()
        if stem_cfg is None:
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, stem_filters, 3, stem_strides, 1,
                          bias=False),
                nn.BatchNorm2d(stem_filters), _act(act_cfg))
        else:
            self.stem = MODELS.build(dict(stem_cfg, in_channels=in_channels,
                                          out_channels=stem_filters))
        self.blocks = nn.ModuleDict()
        self.levels: List[List[str]] = []
        width = stem_filters
        for i, (depth, level) in enumerate(levels.items()):
            keys = []
            for b in level:
                rate = b.dropout
                if isinstance(rate, bool):  # Evolly: deeper, more dropout
                    rate = max_drop_rate * (i + 1) / len(levels) if rate \
                        else 0.0
                key = f'b{b.block_id}'
                self.blocks[key] = BLOCKS[b.block_type](
                    width, b.filters_out, b.kernel_size, b.strides, rate,
                    act_cfg)
                keys.append(key)
            self.levels.append(keys)
            width = sum(b.filters_out for b in level)
        self.out_channels = width
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        x = self.stem(x)
        for keys in self.levels:
            outs = [self.blocks[k](x) for k in keys]
            x = torch.cat(outs, 1) if len(outs) > 1 else outs[0]
        return torch.flatten(self.pool(x), 1)


@MODELS.register_module()
class GenotypeNet(BaseModule):
    """The backbone of a genotype (see ``gml.structures.genotype``).

    Args:
        genotype: a yaml path, a dict (``{'branches': ...}``) or a
            ``Genotype``.
        in_channels: image channels.
        stem_filters: width of each branch's stem conv (Evolly's
            ``initial_filters``).
        stem_strides: stride of the stem conv (Evolly's
            ``initial_strides2``: 2).
        max_drop_rate: the dropout of a block whose ``dropout`` is
            ``true`` grows with depth up to this rate (Evolly's rule).
        act_cfg: the activation of the stem and every block (mmcv's
            ``build_activation_layer``; Evolly's ``activation``). Default
            ``dict(type='ReLU', inplace=True)``. Deepening keeps the
            function exactly only for ReLU/ReLU6 (``act(act(x)) ==
            act(x)``); with others it is reported as not preserving.
        stem_cfg: a MODELS config of each branch's stem (Evolly's custom
            initial layers), built with ``in_channels`` and
            ``out_channels=stem_filters``, e.g. ``dict(type='ConvModule',
            kernel_size=5, stride=2, padding=2, norm_cfg=dict(type='BN'))``.
            Default (None): conv3x3(``stem_strides``)-BN-act.
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 genotype: Union[str, Dict, Genotype],
                 in_channels: int = 3,
                 stem_filters: int = 16,
                 stem_strides: int = 1,
                 max_drop_rate: float = 0.2,
                 act_cfg: Optional[dict] = None,
                 stem_cfg: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(init_cfg)
        self.genotype = load_genotype(genotype)
        self.in_channels = in_channels
        self.stem_filters = stem_filters
        act_cfg = dict(act_cfg or RELU)
        #: whether an identity block after an activation is exact (deepen)
        self.idempotent_act = act_cfg['type'] in IDEMPOTENT
        self.branches = nn.ModuleDict({
            name: Branch(blocks, self.genotype.levels(name), in_channels,
                         stem_filters, stem_strides, max_drop_rate, act_cfg,
                         stem_cfg)
            for name, blocks in self.genotype.branches.items()})
        self.out_channels = sum(b.out_channels
                                for b in self.branches.values())

    def forward(self, x) -> Tuple[torch.Tensor]:
        feats = [branch(x) for branch in self.branches.values()]
        return (torch.cat(feats, 1) if len(feats) > 1 else feats[0], )

    # -- for the morphism code --
    def block(self, block_id: int) -> nn.Module:
        branch, _ = self.genotype.find(block_id)
        return self.branches[branch].blocks[f'b{block_id}']

    def block_path(self, block_id: int) -> str:
        branch, _ = self.genotype.find(block_id)
        return f'branches.{branch}.blocks.b{block_id}'
