"""Params and FLOPs read from ONNX graphs, fp32 and int8 alike; the
report's plots."""
import numpy as np
import torch
import torch.nn as nn

from gml.compress.measure import onnx_complexity, onnx_latency
from gml.compress.report import svg_scatter

# conv 3->4 (3x3, pad 1) on 8x8, then a 256->10 linear layer
CONV_MACS, FC_MACS = 4 * 8 * 8 * 3 * 9, 256 * 10
PARAMS = (4 * 3 * 9 + 4) + (256 * 10 + 10)


def _export(tmp_path):
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                          nn.Flatten(), nn.Linear(256, 10)).eval()
    path = str(tmp_path / 'fp32.onnx')
    torch.onnx.export(model, (torch.randn(1, 3, 8, 8), ), path,
                      input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}}, dynamo=False)
    return path


class _Images:
    def __init__(self):
        self.data = iter([{'input': np.random.default_rng(i).standard_normal(
            (1, 3, 8, 8)).astype(np.float32)} for i in range(4)])

    def get_next(self):
        return next(self.data, None)


def test_fp32_and_int8_graphs_count_the_same_network(tmp_path):
    from onnxruntime.quantization import QuantFormat, quantize_static
    fp32 = _export(tmp_path)
    assert onnx_complexity(fp32) == dict(params=PARAMS,
                                         flops=CONV_MACS + FC_MACS)
    int8 = str(tmp_path / 'int8.onnx')
    quantize_static(fp32, int8, _Images(), quant_format=QuantFormat.QDQ,
                    per_channel=True)
    # int8 weights, int32 bias; the scales and zero points are not counted
    assert onnx_complexity(int8) == onnx_complexity(fp32)
    lat = onnx_latency(dict(fp32=fp32, int8=int8), batches=(1, 4),
                       rounds=2, repeats=2, warmup=1)
    assert set(lat) == {'fp32', 'int8'}
    for figures in lat.values():
        assert set(figures) == {'b1', 'b4'}
        # the median of all calls lies within the rounds' medians
        assert all(0 < f['lo_ms'] <= f['median_ms'] <= f['hi_ms']
                   for f in figures.values())


def test_scatter_plot_places_every_measured_point():
    svg = svg_scatter([(10.0, 90.0, 'float'), (2.0, 89.5, 'int8'),
                       (None, 80.0, 'qat')], 'size', 'top-1 vs size')
    assert svg.count('<circle') == 2  # qat has no size: not plotted
    assert '>float<' in svg and '>int8<' in svg and 'qat' not in svg
    assert 'nothing measured' in svg_scatter([], 'x', 't')
