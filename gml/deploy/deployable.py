"""A classifier as it is deployed: the data preprocessor's normalization
(``(x - mean) / std``, channel flip) followed by the logits, so an exported
model takes the images as the dataset gives them (float, N x C x H x W,
pixel scale); and a check of an exported model against PyTorch.
"""
from typing import Dict

import numpy as np
import torch
import torch.nn as nn

from .onnxruntime_eval import ort_session


class DeployableClassifier(nn.Module):
    """Normalize like the data preprocessor, then return logits.

    Args:
        model: an mmengine model whose ``forward(x, mode='tensor')`` gives
            logits (a SPOS algorithm or its architecture).
        mean / std: per-channel, as in the data preprocessor (None: none).
        to_rgb: flip BGR/RGB first, as ``ClsDataPreprocessor(to_rgb=True)``.
    """

    def __init__(self, model: nn.Module, mean=None, std=None,
                 to_rgb: bool = False):
        super().__init__()
        self.model = model
        self.to_rgb = to_rgb
        self.normalize = mean is not None
        if self.normalize:
            self.register_buffer('mean', torch.as_tensor(
                mean, dtype=torch.float32).view(1, -1, 1, 1))
            self.register_buffer('std', torch.as_tensor(
                std, dtype=torch.float32).view(1, -1, 1, 1))

    @classmethod
    def from_model(cls, model: nn.Module) -> 'DeployableClassifier':
        """Take the normalization from ``model.data_preprocessor``."""
        pre = getattr(model, 'data_preprocessor', None)
        mean = getattr(pre, 'mean', None) if getattr(
            pre, '_enable_normalize', False) else None
        std = getattr(pre, 'std', None) if mean is not None else None
        # mmpretrain's ClsDataPreprocessor says ``to_rgb``; mmengine's
        # ImgDataPreprocessor ``_channel_conversion``
        flip = getattr(pre, 'to_rgb',
                       getattr(pre, '_channel_conversion', False))
        return cls(model, None if mean is None else mean.flatten(),
                   None if std is None else std.flatten(), bool(flip))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.to_rgb and x.size(1) == 3:  # as the preprocessors do
            x = x.flip(1)
        if self.normalize:
            x = (x - self.mean) / self.std
        return self.model(x, mode='tensor')


def compare_with_onnxruntime(module: nn.Module, path: str,
                             inputs: torch.Tensor) -> Dict[str, float]:
    """Run ``inputs`` through PyTorch and onnxruntime (CPU): the largest
    absolute difference of the outputs and the share of equal argmaxes."""
    session = ort_session(path, torch.get_num_threads())
    with torch.no_grad():
        expected = module.eval()(inputs).cpu().numpy()
    got = session.run(None, {'input': inputs.cpu().numpy()})[0]
    if got.shape != expected.shape:
        raise ValueError(f'{path}: onnxruntime output shape {got.shape}, '
                         f'PyTorch {expected.shape}')
    return dict(max_abs_diff=float(np.abs(got - expected).max()),
                argmax_agreement=float(np.mean(
                    got.argmax(1) == expected.argmax(1))),
                batch=int(inputs.shape[0]))
