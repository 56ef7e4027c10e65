"""onnxruntime CPU latency of the same conv stack at different channel counts.

    python tools/benchmark/ort_channel_counts.py [--size 8] [--batch 64]

Why pruned models can run slower than unpruned ones on onnxruntime: six 3x3
conv+ReLU layers of C channels on SIZExSIZE inputs, exported to ONNX and
timed on 1 thread in interleaved rounds (median and spread of the rounds).
Compare channel counts that are multiples of 8 with the odd counts a
pruner without ``round_to`` leaves behind.
"""
import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import torch


def stack(channels):
    layers = []
    for _ in range(6):
        layers += [torch.nn.Conv2d(channels, channels, 3, padding=1),
                   torch.nn.ReLU()]
    return torch.nn.Sequential(*layers).eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--size', type=int, default=8)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--channels', type=int, nargs='+',
                    default=[16, 12, 11, 8])
    ap.add_argument('--rounds', type=int, default=10)
    args = ap.parse_args()
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sessions, inputs = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for c in args.channels:
            path = os.path.join(tmp, f'c{c}.onnx')
            torch.onnx.export(stack(c), (torch.randn(1, c, args.size,
                                                     args.size),), path,
                              dynamo=False, input_names=['x'],
                              dynamic_axes={'x': {0: 'b'}})
            sessions[c] = ort.InferenceSession(
                path, opts, providers=['CPUExecutionProvider'])
            inputs[c] = np.random.randn(args.batch, c, args.size,
                                        args.size).astype(np.float32)
    times = {c: [] for c in sessions}
    for r in range(args.rounds + 1):  # round 0 warms up
        for c, sess in sessions.items():
            start = time.perf_counter()
            for _ in range(10):
                sess.run(None, {'x': inputs[c]})
            if r:
                times[c].append((time.perf_counter() - start) * 100)
    base = args.channels[0]
    print(f'six conv3x3+ReLU, {args.size}x{args.size}, batch {args.batch}, '
          f'onnxruntime {ort.__version__}, 1 thread, {args.rounds} rounds')
    print('| channels | MACs vs first | ms (median) | spread (min-max) |')
    print('|---|---|---|---|')
    for c, t in times.items():
        print(f'| {c} | {(c / base) ** 2:.2f} | {statistics.median(t):.3f} '
              f'| {min(t):.3f}-{max(t):.3f} |')


if __name__ == '__main__':
    main()
