"""How fast can a smaller model get at batch 1 on onnxruntime? The prune-first
chain's float teacher against ever thinner copies of it, fp32 and int8.

    OMP_NUM_THREADS=1 python tools/benchmark/ort_batch1_floor.py \
        [--widths 0.5 0.35 0.25 0.15 0.1] [--rounds 7]

The teacher of ``configs/compress/prune_first_mobilenetv2_fashion_mnist.py``
(``configs/compress/models/mobilenetv2_fashion_mnist.py``: MobileNetV2 0.5x,
1x28x28) is rebuilt at each ``--widths`` widen factor (its last conv scaled
with it), the model the morphism evolution found on Fashion-MNIST
(``configs/nas/morphism/best_genotype_fashion_mnist.yaml``: nearly as many
MACs as the teacher in 7 convolutions instead of 52) and the evolution's
seed (5 convolutions), and the smallest classifier
there is (one 3x3 conv of 8 channels, pooling, a linear layer): the floor
of one ``session.run``.
Random weights (latency does not depend on them). Each is exported as fp32
ONNX the way the chain exports float stages (``gml.deploy.export_onnx``)
and quantized statically by onnxruntime's quantizer into the format the
chain deploys (QDQ, per-channel s8 weights, u8 activations). All models
are timed in the same interleaved rounds, one thread, as the chain's
report times them (``gml.compress.measure.onnx_latency``); MACs and
params are read from the ONNX graphs as the report reads them.

The last column is what the chain's batch-1 speed-up goal asks: the
teacher's fp32 latency over the model's.
"""
import argparse
import os.path as osp
import sys
import tempfile

import torch
from torch import nn

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from int8_latency import quantize  # noqa: E402

TEACHER = 'configs/compress/models/mobilenetv2_fashion_mnist.py'
GENOTYPE = 'configs/nas/morphism/genotype_fashion_mnist.py'
BEST = 'configs/nas/morphism/best_genotype_fashion_mnist.yaml'
SEED = 'configs/nas/morphism/seed_genotype_fashion_mnist.yaml'
SHAPE = (1, 28, 28)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--widths', nargs='+', type=float,
                   default=[0.5, 0.35, 0.25, 0.15, 0.1])
    p.add_argument('--rounds', type=int, default=7)
    p.add_argument('--repeats', type=int, default=5)
    return p.parse_args()


def build(config: str, model: dict) -> nn.Module:
    """The float model of ``config`` with ``model`` overrides."""
    from gml.config.loading import load_config
    from gml.deploy import build_float_model, config_scope
    cfg = load_config(osp.join(ROOT, config), {'model': model})
    with config_scope(cfg):
        return build_float_model(cfg).eval()


def mobilenet(widen: float) -> nn.Module:
    """The teacher's config at ``widen`` (0.5 is the teacher itself)."""
    last = max(8, int(round(256 * widen / 0.5 / 8)) * 8)
    return build(TEACHER, dict(
        backbone=dict(widen_factor=widen, last_channels=last),
        head=dict(in_channels=last)))


class Smallest(nn.Module):
    """One 3x3 conv (8 channels), BN, ReLU, pooling, a linear layer."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 8, 3, 2, 1), nn.BatchNorm2d(8),
                                  nn.ReLU())
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


def main():
    args = parse_args()
    from gml.compress.measure import onnx_complexity, onnx_latency
    from gml.deploy.onnx_export import export_onnx
    from gml.engine.estimators.latency import device_name
    torch.manual_seed(0)
    models = {f'MobileNetV2 {w}x' + (' (teacher)' if w == 0.5 else ''):
              mobilenet(w) for w in args.widths}
    for name, genotype in (('morphism best (7 convs)', BEST),
                           ('morphism seed (5 convs)', SEED)):
        models[name] = build(GENOTYPE, dict(
            backbone=dict(genotype=osp.join(ROOT, genotype))))
    models['smallest: conv3x3(8) + pool + linear'] = Smallest().eval()
    paths = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, model) in enumerate(models.items()):
            fp32 = osp.join(tmp, f'm{i}.onnx')
            export_onnx(model, SHAPE, fp32)
            paths[(name, 'fp32')] = fp32
            paths[(name, 'int8')] = quantize(
                fp32, osp.join(tmp, f'm{i}_int8.onnx'), 'QDQ', True,
                'QUInt8', 8, SHAPE)
        figures = onnx_latency({f'{n}|{k}': p for (n, k), p in paths.items()},
                               (1, 64), args.rounds, args.repeats)
        complexity = {n: onnx_complexity(paths[(n, 'fp32')])
                      for n in models}
    import onnxruntime as ort
    print(f'onnxruntime {ort.__version__} CPU, 1 thread, 1x28x28, '
          f'{args.rounds} interleaved rounds x {args.repeats} calls; '
          f'{device_name(torch.device("cpu"))}\n')
    print('| model | MMACs | params (K) | fp32 ms @1 (rounds) | int8 ms @1 '
          '(rounds) | fp32 ms @64 | int8 ms @64 | teacher fp32 @1 / best '
          '@1 |')
    print('|---|---|---|---|---|---|---|---|')
    teacher = next(n for n in models if 'teacher' in n)
    t1 = figures[f'{teacher}|fp32']['b1']['median_ms']

    def cell(f):
        return (f'{f["median_ms"]:.3f} ({f["lo_ms"]:.3f}-'
                f'{f["hi_ms"]:.3f})')

    for n in models:
        fp, q = figures[f'{n}|fp32'], figures[f'{n}|int8']
        best = min(fp['b1']['median_ms'], q['b1']['median_ms'])
        c = complexity[n]
        print(f'| {n} | {c["flops"] / 1e6:.3f} | {c["params"] / 1e3:.1f} | '
              f'{cell(fp["b1"])} | {cell(q["b1"])} | '
              f'{fp["b64"]["median_ms"]:.2f} | {q["b64"]["median_ms"]:.2f} '
              f'| {t1 / best:.2f}x |', flush=True)


if __name__ == '__main__':
    main()
