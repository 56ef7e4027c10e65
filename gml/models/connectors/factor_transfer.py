"""Paraphraser and Translator of factor transfer (Kim et al., 2018).

The Paraphraser is an auto-encoder over a teacher feature: trained first to
reconstruct it, its encoder output (the "factor") is what the student must
match. The Translator is the student-side encoder producing the student
factor. Layers follow the authors' reference code: 3x3 convolutions with
BatchNorm and LeakyReLU(0.1), spatial size preserved.
"""
from typing import Optional

import torch
import torch.nn as nn

from gml.registry import MODELS
from .base_connector import BaseConnector


def _conv_bn_act(in_ch: int, out_ch: int, transpose: bool = False,
                 bn: bool = True) -> nn.Sequential:
    conv = nn.ConvTranspose2d if transpose else nn.Conv2d
    layers = [conv(in_ch, out_ch, 3, 1, 1)]
    if bn:
        layers.append(nn.BatchNorm2d(out_ch))
    layers.append(nn.LeakyReLU(0.1))
    return nn.Sequential(*layers)


def _encoder(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(
        _conv_bn_act(in_ch, in_ch), _conv_bn_act(in_ch, out_ch),
        _conv_bn_act(out_ch, out_ch))


def _check_channels(name: str, in_channel: int, out_channel: int) -> None:
    for key, value in (('in_channel', in_channel),
                       ('out_channel', out_channel)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(
                f'{name}: {key} must be a positive int, got {value!r}')


def _check_input(name: str, x: torch.Tensor, in_channel: int) -> None:
    if x.dim() != 4 or x.shape[1] != in_channel:
        raise ValueError(
            f'{name} expects features of shape (N, {in_channel}, H, W) '
            f'(in_channel={in_channel}), got {tuple(x.shape)}')


@MODELS.register_module()
class Paraphraser(BaseConnector):
    """Teacher-side auto-encoder; ``forward`` returns the factor.

    Args:
        in_channel (int): channels of the teacher feature.
        out_channel (int): channels of the factor (the paper's
            ``in_channel * k`` for a factor rate k).
        pretrain_criterion (dict, optional): reconstruction loss, e.g.
            ``dict(type='MSELoss', loss_weight=10.0)``.
    """
    can_pretrain = True

    def __init__(self, in_channel: int, out_channel: int,
                 pretrain_criterion: Optional[dict] = None):
        super().__init__(pretrain_criterion)
        _check_channels('Paraphraser', in_channel, out_channel)
        self.in_channel, self.out_channel = in_channel, out_channel
        self.encoder = _encoder(in_channel, out_channel)
        self.decoder = nn.Sequential(
            _conv_bn_act(out_channel, out_channel, transpose=True),
            _conv_bn_act(out_channel, in_channel, transpose=True),
            _conv_bn_act(in_channel, in_channel, transpose=True, bn=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input('Paraphraser', x, self.in_channel)
        return self.encoder(x)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.forward(x))

    def pretrain_loss(self, feature: torch.Tensor) -> torch.Tensor:
        if self.pretrain_criterion is None:
            raise RuntimeError('Paraphraser has no pretrain_criterion')
        # the reference code reconstructs the (post-ReLU) teacher feature
        return self.pretrain_criterion(self.reconstruct(feature), feature)


@MODELS.register_module()
class Translator(BaseConnector):
    """Student-side encoder producing the student factor.

    Args:
        in_channel (int): channels of the student feature.
        out_channel (int): channels of the factor; equal to the teacher
            Paraphraser's ``out_channel``.
    """

    def __init__(self, in_channel: int, out_channel: int,
                 pretrain_criterion: Optional[dict] = None):
        super().__init__(pretrain_criterion)
        _check_channels('Translator', in_channel, out_channel)
        self.in_channel, self.out_channel = in_channel, out_channel
        self.encoder = _encoder(in_channel, out_channel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input('Translator', x, self.in_channel)
        return self.encoder(x)
