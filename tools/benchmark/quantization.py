"""Float vs PTQ vs QAT on the embedded digits: accuracy, size, CPU latency.

For each seed: trains the digits ResNet-18 (float), quantizes it after
training (PTQ, calibrated on training batches) and with QAT (fine-tuned from
the float checkpoint), exports fp32 and int8 ONNX, and measures top-1 on the
test split -- float in PyTorch and on onnxruntime, int8 on onnxruntime (the
real integer execution). Then, for the first seed's models, the size on
disk, the ops onnxruntime runs in integer kernels, and the CPU latency
per batch (batch 1 and 64) of float PyTorch, fp32
onnxruntime and int8 onnxruntime:

    python tools/benchmark/quantization.py [--seeds 0 1 2] [--threads 1]
        [--work-dir work_dirs/quantization_benchmark]

Every step is what the tools run (tools/train.py's Runner, the functions
behind tools/quantization/ptq.py and export.py, tools/test.py
--backend onnxruntime).
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import time

# run from a checkout without installing gml
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

FLOAT_CFG = 'configs/classification/digits/resnet18_digits.py'
QAT_CFG = 'configs/quantization/qat/qat_resnet18_digits.py'
METHODS = ('float (PyTorch)', 'float (onnxruntime fp32)',
           'PTQ int8 (onnxruntime)', 'QAT fake-quant (PyTorch)',
           'QAT int8 (onnxruntime)')


def train(config, work_dir, options):
    """Train ``config`` with mmengine's Runner; return its last checkpoint
    and the test top-1 of the trained (PyTorch) model."""
    from gml.engine.runner import build_runner
    from gml.config.loading import load_config
    cfg = load_config(config, dict(options, log_level='WARNING'))
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    runner = build_runner(cfg)
    runner.train()
    top1 = runner.test()['accuracy/top1']
    epochs = cfg.train_cfg.max_epochs
    return osp.join(work_dir, f'epoch_{epochs}.pth'), top1


def one_seed(seed, args):
    from gml.deploy import (evaluate_onnx, export_float, export_qat,
                            quantize_ptq)
    from gml.config.loading import load_config
    d = osp.join(args.work_dir, f'seed{seed}')
    common = {'randomness.seed': seed, 'default_hooks.logger.interval': 1000}
    t = time.time()
    float_ckpt, float_top1 = train(FLOAT_CFG, osp.join(d, 'float'), common)
    print(f'seed {seed}: float trained ({time.time() - t:.0f} s)', flush=True)
    cfg = load_config(QAT_CFG)
    paths = {m: osp.join(d, f'{m}.onnx') for m in ('fp32', 'ptq', 'qat')}
    export_float(cfg, float_ckpt, paths['fp32'])
    t = time.time()
    quantize_ptq(cfg, float_ckpt, paths['ptq'], args.calib_batches, seed)
    print(f'seed {seed}: PTQ ({time.time() - t:.0f} s)', flush=True)
    t = time.time()
    qat_ckpt, fake_top1 = train(QAT_CFG, osp.join(d, 'qat'), dict(
        common, **{'algorithm.float_checkpoint': float_ckpt}))
    export_qat(cfg, qat_ckpt, paths['qat'])
    print(f'seed {seed}: QAT + export ({time.time() - t:.0f} s)', flush=True)
    onnx = {m: evaluate_onnx(cfg, paths[m])['accuracy/top1'] for m in paths}
    tops = [float_top1, onnx['fp32'], onnx['ptq'], fake_top1, onnx['qat']]
    print(f'seed {seed}: ' + ', '.join(
        f'{m} {a:.2f} %' for m, a in zip(METHODS, tops)), flush=True)
    return dict(zip(METHODS, tops)), float_ckpt, paths


def sizes(float_ckpt, paths, work_dir):
    """Bytes on disk: the float weights alone (no optimizer state), and the
    ONNX models."""
    import torch
    state = torch.load(float_ckpt, map_location='cpu')['state_dict']
    weights = osp.join(work_dir, 'float_weights.pth')
    torch.save(state, weights)
    return {'float weights (.pth)': os.path.getsize(weights),
            'fp32 ONNX': os.path.getsize(paths['fp32']),
            'PTQ int8 ONNX': os.path.getsize(paths['ptq']),
            'QAT int8 ONNX': os.path.getsize(paths['qat'])}


def kernels(float_ckpt, paths, work_dir, calib_batches):
    """Which convolutions / additions onnxruntime runs as integer kernels
    (its optimized graph), for the QAT and PTQ models (uint8 activations,
    the default) and a PTQ model with int8 activations."""
    from collections import Counter

    import onnx
    import onnxruntime as ort

    from gml.deploy import quantize_ptq
    from gml.config.loading import load_config
    s8 = osp.join(work_dir, 'ptq_int8_activations.onnx')
    quantize_ptq(load_config(QAT_CFG, {
        'algorithm.quantizer.activation_dtype': 'int8'}), float_ckpt, s8,
        calib_batches)
    models = {'QAT int8 (uint8 activations)': paths['qat'],
              'PTQ int8 (uint8 activations)': paths['ptq'],
              'PTQ int8 (int8 activations)': s8}
    counts = {}
    for name, path in models.items():
        options = ort.SessionOptions()
        options.optimized_model_filepath = path + '.optimized'
        options.graph_optimization_level = \
            ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        ort.InferenceSession(path, options,
                             providers=['CPUExecutionProvider'])
        counts[name] = Counter(n.op_type for n in onnx.load(
            options.optimized_model_filepath).graph.node)
    return counts


def latency(float_ckpt, paths, threads, repeats):
    """Per engine and batch size (1, 64): median ms per batch and the
    spread of the rounds' medians, the engines timed in interleaved rounds
    (``gml.engine.estimators.latency.compare_latency``)."""
    import numpy as np
    import torch

    from gml.deploy import build_float_model, ort_session
    from gml.engine.estimators.latency import compare_latency
    from gml.models.algorithms.quantization import load_float_checkpoint
    from gml.config.loading import load_config
    torch.set_num_threads(threads)
    model = build_float_model(load_config(QAT_CFG))
    load_float_checkpoint(model, float_ckpt, 'float')
    model.eval()
    sessions = {'fp32': ort_session(paths['fp32'], threads),
                'qat': ort_session(paths['qat'], threads)}
    engines = {
        'float PyTorch (eager)': lambda x: model(torch.from_numpy(x)),
        'fp32 onnxruntime': lambda x: sessions['fp32'].run(None,
                                                           {'input': x}),
        'int8 onnxruntime (QAT)': lambda x: sessions['qat'].run(
            None, {'input': x}),
    }
    rng = np.random.default_rng(0)
    results = {}
    for batch in (1, 64):
        x = rng.standard_normal((batch, 3, 8, 8)).astype(np.float32)
        figures = compare_latency(
            {name: (lambda fn=fn: fn(x)) for name, fn in engines.items()},
            warmup=10, repeats=max(1, repeats // ROUNDS), rounds=ROUNDS,
            clock='wall')
        for name, f in figures.items():
            results[(name, batch)] = f
    return results


ROUNDS = 10


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--calib-batches', type=int, default=32)
    parser.add_argument('--threads', type=int, default=1,
                        help='intra-op threads for every engine')
    parser.add_argument('--repeats', type=int, default=200,
                        help='timed runs per engine and batch size')
    parser.add_argument('--work-dir',
                        default='work_dirs/quantization_benchmark')
    args = parser.parse_args()
    import torch
    # one thread while training: these models are tiny, and on a shared
    # machine extra threads spin against other processes
    torch.set_num_threads(1)

    accs = {m: [] for m in METHODS}
    first = None
    for seed in args.seeds:
        tops, float_ckpt, paths = one_seed(seed, args)
        for m in METHODS:
            accs[m].append(tops[m])
        first = first or (float_ckpt, paths)

    print(f'\nDigits ResNet-18 (16 ch), test split (359 images), top-1 %, '
          f'seeds {args.seeds}')
    print('| model | ' + ' | '.join(f'seed {s}' for s in args.seeds) +
          ' | mean ± std |')
    print('|---' * (len(args.seeds) + 2) + '|')
    for m in METHODS:
        std = statistics.stdev(accs[m]) if len(accs[m]) > 1 else 0.0
        print(f'| {m} | ' + ' | '.join(f'{a:.2f}' for a in accs[m]) +
              f' | {statistics.mean(accs[m]):.2f} ± {std:.2f} |')

    on_disk = sizes(*first, args.work_dir)
    print(f'\nSize on disk (seed {args.seeds[0]})')
    print('| file | bytes | vs fp32 ONNX |')
    print('|---|---|---|')
    for name, size in on_disk.items():
        print(f'| {name} | {size:,} | '
              f'{on_disk["fp32 ONNX"] / size:.2f}x smaller |')

    print('\nOps onnxruntime runs (its optimized graph, seed '
          f'{args.seeds[0]}): integer vs float convolutions and additions')
    print('| model | QLinearConv | Conv | QLinearAdd | Add |')
    print('|---|---|---|---|---|')
    for name, ops in kernels(*first, args.work_dir,
                             args.calib_batches).items():
        print(f'| {name} | ' + ' | '.join(
            str(ops.get(op, 0)) for op in ('QLinearConv', 'Conv',
                                           'QLinearAdd', 'Add')) + ' |')

    load = os.getloadavg()
    times = latency(*first, args.threads, args.repeats)
    from gml.engine.estimators.latency import format_latency
    print(f'\nCPU latency per batch, median of {args.repeats} runs '
          f'({args.threads} thread(s); the engines timed in {ROUNDS} '
          'interleaved rounds, in brackets the fastest and slowest round\'s '
          f'median; load average {load[0]:.1f} on {os.cpu_count()} cores '
          'before timing)')
    print('| engine | batch 1 | batch 64 |')
    print('|---|---|---|')
    for name in dict.fromkeys(k[0] for k in times):
        print(f'| {name} | {format_latency(times[(name, 1)])} | '
              f'{format_latency(times[(name, 64)])} |')


if __name__ == '__main__':
    main()
