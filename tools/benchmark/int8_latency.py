"""fp32 vs int8 latency on onnxruntime at realistic sizes, and what each
quantization choice changes.

    OMP_NUM_THREADS=1 python tools/benchmark/int8_latency.py \
        [--models resnet18 mobilenet_v2] [--batches 1 32] [--rounds 5]

torchvision's ResNet-18 and MobileNetV2 (random weights: latency does not
depend on them) at 3x224x224 are exported as fp32 ONNX and quantized
statically by onnxruntime's own quantizer (calibrated on random images)
in several ways: QDQ or QOperator format, per-channel or per-tensor
weights, u8 or s8 activations, and (for models that have them) the
depthwise convolutions left in fp32. Every variant of a model is timed in
the same interleaved rounds, one intra-op thread, all graph optimizations
unless the row says otherwise; the table gives the median ms, the
fastest-slowest round median, and the speed-up over fp32.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--models', nargs='+', default=['resnet18',
                                                   'mobilenet_v2'])
    p.add_argument('--batches', nargs='+', type=int, default=[1, 32])
    p.add_argument('--size', type=int, default=224)
    p.add_argument('--rounds', type=int, default=5)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--calib', type=int, default=8,
                   help='random calibration images')
    return p.parse_args()


def export_fp32(name: str, size: int, out: str) -> str:
    import torch
    import torchvision
    model = getattr(torchvision.models, name)(weights=None).eval()
    x = torch.randn(1, 3, size, size)
    torch.onnx.export(model, (x, ), out, input_names=['input'],
                      output_names=['logits'], opset_version=17,
                      dynamic_axes={'input': {0: 'batch'}}, dynamo=False)
    return out


class RandomImages:
    """onnxruntime's CalibrationDataReader over random images."""

    def __init__(self, n: int, shape):
        rng = np.random.default_rng(0)
        self.data = iter([{'input': rng.standard_normal(
            (1, *shape)).astype(np.float32)} for _ in range(n)])

    def get_next(self):
        return next(self.data, None)

    def rewind(self):  # onnxruntime >= 1.17 may call it
        pass


#: name -> (format, per_channel, activation type); weights are s8
VARIANTS = {
    'int8 QDQ, per-channel, u8 act': ('QDQ', True, 'QUInt8'),
    'int8 QDQ, per-tensor, u8 act': ('QDQ', False, 'QUInt8'),
    'int8 QDQ, per-channel, s8 act': ('QDQ', True, 'QInt8'),
    'int8 QOperator, per-channel, u8 act': ('QOperator', True, 'QUInt8'),
}


def depthwise_convs(path: str):
    """Names of the Conv nodes of ``path`` with ``group`` > 1."""
    import onnx
    names = []
    for node in onnx.load(path).graph.node:
        group = [a.i for a in node.attribute if a.name == 'group']
        if node.op_type == 'Conv' and group and group[0] > 1:
            names.append(node.name)
    return names


def quantize(fp32: str, out: str, fmt: str, per_channel: bool, act: str,
             n: int, shape, keep_depthwise: bool = False) -> str:
    """``fp32`` quantized statically (calibrated on ``n`` random images of
    ``shape``, C x H x W) into ``out``; ``keep_depthwise`` leaves the
    depthwise convolutions in fp32."""
    from onnxruntime.quantization import (QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    pre = out + '.pre.onnx'
    quant_pre_process(fp32, pre)
    quantize_static(pre, out, RandomImages(n, shape),
                    quant_format=getattr(QuantFormat, fmt),
                    per_channel=per_channel,
                    activation_type=getattr(QuantType, act),
                    weight_type=QuantType.QInt8,
                    nodes_to_exclude=(depthwise_convs(pre)
                                      if keep_depthwise else None))
    return out


def session(path: str, level: str = 'ORT_ENABLE_ALL'):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel,
                                            level)
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(path, opts,
                                providers=['CPUExecutionProvider'])


def main():
    args = parse_args()
    import torch
    from gml.engine.estimators.latency import compare_latency, device_name
    torch.set_num_threads(1)
    tmp = tempfile.mkdtemp(prefix='int8_latency_')
    print(f'onnxruntime CPU, 1 thread, {args.size}x{args.size}, '
          f'{args.rounds} interleaved rounds x {args.repeats} calls; '
          f'{device_name(torch.device("cpu"))}\n')
    print('| model | variant | ' + ' | '.join(
        f'ms @{b} (rounds) | speed-up @{b}' for b in args.batches) + ' |')
    print('|---|---|' + '---|---|' * len(args.batches))
    for name in args.models:
        fp32 = export_fp32(name, args.size, osp.join(tmp, f'{name}.onnx'))
        shape = (3, args.size, args.size)
        sessions = {'fp32': session(fp32)}
        paths = {}
        for label, (fmt, pc, act) in VARIANTS.items():
            paths[label] = osp.join(tmp, f'{name}_{fmt}_{pc}_{act}.onnx')
            sessions[label] = session(quantize(fp32, paths[label], fmt, pc,
                                               act, args.calib, shape))
        first = next(iter(VARIANTS))
        sessions[first + ', basic graph opt.'] = session(paths[first],
                                                         'ORT_ENABLE_BASIC')
        if depthwise_convs(fp32):
            # are int8 depthwise kernels worth their quantize/dequantize?
            sessions[first + ', depthwise convs fp32'] = session(quantize(
                fp32, osp.join(tmp, f'{name}_dw_fp32.onnx'), *VARIANTS[first],
                args.calib, shape, keep_depthwise=True))
        figures = {}
        for b in args.batches:
            x = np.random.default_rng(1).standard_normal(
                (b, 3, args.size, args.size)).astype(np.float32)
            figures[b] = compare_latency(
                {k: (lambda s=s: s.run(None, {'input': x}))
                 for k, s in sessions.items()},
                torch.device('cpu'), warmup=2, repeats=args.repeats,
                rounds=args.rounds)
        for label in sessions:
            cells = []
            for b in args.batches:
                f = figures[b][label]
                base = figures[b]['fp32']['median_ms']
                cells += [f'{f["median_ms"]:.2f} ({f["lo_ms"]:.2f}-'
                          f'{f["hi_ms"]:.2f})',
                          f'{base / f["median_ms"]:.2f}x']
            print(f'| {name} | {label} | ' + ' | '.join(cells) + ' |',
                  flush=True)
        for f in os.listdir(tmp):
            os.remove(osp.join(tmp, f))
    os.rmdir(tmp)


if __name__ == '__main__':
    main()
