"""Export a retrained subnet to ONNX and check onnxruntime against PyTorch.

The exported graph is the deployable network: the config's data
preprocessor's normalization (``(x - mean) / std``, channel flip) followed
by the classifier's logits, so the ONNX model takes the images as the
dataset gives them (float, N x C x H x W, pixel scale) with a dynamic batch.
"""
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn as nn


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
        return cls(model, None if mean is None else mean.flatten(),
                   None if std is None else std.flatten(),
                   bool(getattr(pre, '_channel_conversion', False)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.to_rgb:
            x = x.flip(1)
        if self.normalize:
            x = (x - self.mean) / self.std
        return self.model(x, mode='tensor')


def export_onnx(module: nn.Module, example: torch.Tensor, path: str,
                opset: Optional[int] = None) -> None:
    """``torch.onnx.export`` (torch's default exporter) with a dynamic
    batch dimension, input ``input`` and output ``logits``, weights inside
    the one file."""
    module.eval()
    kwargs = {} if opset is None else dict(opset_version=opset)
    batch = torch.export.Dim('batch', min=1)
    with torch.no_grad():
        torch.onnx.export(module, (example, ), path, input_names=['input'],
                          output_names=['logits'],
                          dynamic_shapes=({0: batch}, ), dynamo=True,
                          external_data=False, **kwargs)


def ort_session(path: str):
    """An onnxruntime CPU session using as many threads as torch does."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options,
                                providers=['CPUExecutionProvider'])


def compare_with_onnxruntime(module: nn.Module, path: str,
                             inputs: torch.Tensor) -> Dict[str, float]:
    """Run ``inputs`` through PyTorch and onnxruntime (CPU): the largest
    absolute difference of the outputs and the share of equal argmaxes."""
    session = ort_session(path)
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


def cpu_latencies_ms(module: nn.Module, path: str, example: torch.Tensor,
                     warmup: int = 10, repeats: int = 20, rounds: int = 5
                     ) -> Dict[str, float]:
    """Latency of ``example`` (one batch) through PyTorch (eager) and
    through onnxruntime, timed alike (see ``LatencyTable``'s clock)."""
    from .latency import pick_clock, time_rounds
    session = ort_session(path)
    x = example.cpu().numpy()
    module = module.eval().cpu()
    clock = pick_clock(torch.device('cpu'))
    torch_ms, ort_ms = time_rounds(
        [lambda: module(example), lambda: session.run(None, {'input': x})],
        torch.device('cpu'), warmup, repeats, rounds, clock=clock)
    return dict(pytorch_ms=torch_ms, onnxruntime_ms=ort_ms, clock=clock,
                batch=int(example.shape[0]))
