"""DMCP on the embedded digits: prune MobileNetV2 to a FLOPs target, retrain
the exported structure and the unpruned network with the same recipe, and
print FLOPs (mmengine.analysis on the built networks) and test accuracy.

    python tools/benchmark/dmcp_digits.py [--work-dir DIR] [--target-ratio 0.5]
        [--search-epochs 8] [--retrain-epochs 10] [--reuse]

``--reuse`` keeps the finished runs found in the work dir (e.g. after an
interrupted benchmark) instead of training them again.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEARCH_CFG = 'configs/pruning/dmcp/dmcp_mobilenetv2_digits_f50.py'
RETRAIN_CFG = 'configs/pruning/dmcp/dmcp_mobilenetv2_digits_retrain.py'


REUSE = False


def run(*args):
    if REUSE and '--work-dir' in args and args[0] == 'tools/train.py':
        done = osp.join(args[args.index('--work-dir') + 1], 'last_checkpoint')
        if osp.isfile(done):
            print('reusing', osp.dirname(done), flush=True)
            return float('nan')
    cmd = [sys.executable, *args]
    print('$', ' '.join(args), flush=True)
    start = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f'failed ({proc.returncode}): {" ".join(args)}\n'
                 f'{proc.stderr[-3000:]}')
    return time.time() - start


def build_pruned(mutable_cfg: str):
    """The ordinary network the retrain config builds for ``mutable_cfg``."""
    from gml.registry import MODELS
    from gml.config.loading import load_config
    cfg = load_config(osp.join(ROOT, RETRAIN_CFG),
                      {'algorithm.mutable_cfg': mutable_cfg})
    return MODELS.build(cfg.model).architecture.eval()


def cpu_latencies(mutable_cfgs: dict, batch: int = 128) -> dict:
    """CPU latency of one eval forward of ``batch`` 8x8 images through each
    structure, timed in interleaved rounds (median and the rounds'
    spread, see ``gml.engine.estimators.latency.compare_latency``)."""
    import torch

    from gml.engine.estimators.latency import compare_latency
    x = torch.randn(batch, 3, 8, 8)
    models = {name: build_pruned(cfg) for name, cfg in mutable_cfgs.items()}
    return compare_latency(
        {name: (lambda m=m: m.logits(x)) for name, m in models.items()},
        warmup=3, repeats=5, rounds=7, clock='wall')


def measured_mflops(mutable_cfg: str) -> float:
    """mmengine.analysis FLOPs of the ordinary network built for retraining."""
    import torch
    from mmengine.analysis import FlopAnalyzer
    model = build_pruned(mutable_cfg)

    class Logits(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model.logits(x)

    analyzer = FlopAnalyzer(Logits(), torch.randn(1, 3, 8, 8))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer.total() / 1e6


def train_and_test(name, mutable_cfg, work_dir, epochs, seed):
    out = osp.join(work_dir, name)
    secs = run('tools/train.py', RETRAIN_CFG, '--work-dir', out,
               '--cfg-options', f'algorithm.mutable_cfg={mutable_cfg}',
               f'train_cfg.max_epochs={epochs}', f'randomness.seed={seed}')
    ckpt = open(osp.join(out, 'last_checkpoint')).read().strip()
    metrics = osp.join(out, 'test_metrics.json')
    run('tools/test.py', RETRAIN_CFG, ckpt, '--work-dir', out, '--out',
        metrics, '--cfg-options', f'algorithm.mutable_cfg={mutable_cfg}')
    return json.load(open(metrics))['accuracy/top1'], secs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/bench_dmcp_digits')
    parser.add_argument('--target-ratio', type=float, default=0.5)
    parser.add_argument('--search-epochs', type=int, default=8)
    parser.add_argument('--retrain-epochs', type=int, default=10)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--reuse', action='store_true',
                        help='keep finished runs found in the work dir')
    args = parser.parse_args()
    global REUSE
    REUSE = args.reuse
    sys.path.insert(0, ROOT)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)

    from gml.models.algorithms.pruning.subnet_io import save_subnet
    from gml.registry import MODELS
    from gml.config.loading import load_config
    search = MODELS.build(load_config(osp.join(ROOT, SEARCH_CFG)).model)
    full = search.mutator.max_choices()
    full_file = save_subnet(full, osp.join(work_dir, 'unpruned'))['yaml']
    full_mflops = measured_mflops(full_file)
    target = round(args.target_ratio * full_mflops, 4)

    search_dir = osp.join(work_dir, 'search')
    search_secs = run(
        'tools/train.py', SEARCH_CFG, '--work-dir', search_dir,
        '--cfg-options', f'algorithm.model.head.floss_cfg.target_flops='
        f'{target}', f'train_cfg.max_epochs={args.search_epochs}',
        f'randomness.seed={args.seed}')
    subnet = osp.join(search_dir, 'model_sample', 'subnet.npy')
    pruned_mflops = measured_mflops(subnet)
    pruned_acc, pruned_secs = train_and_test(
        'retrain_pruned', subnet, work_dir, args.retrain_epochs, args.seed)
    full_acc, full_secs = train_and_test(
        'retrain_unpruned', full_file, work_dir, args.retrain_epochs,
        args.seed)

    dev = 100 * (pruned_mflops - target) / target
    print(f'\nDMCP on digits (3x8x8), seed {args.seed}: search '
          f'{args.search_epochs} epochs ({search_secs:.0f} s), retrain '
          f'{args.retrain_epochs} epochs')
    print(f'target MFLOPs: {target:.4f} ({100 * args.target_ratio:.0f} % '
          f'of {full_mflops:.4f})')
    print(f'exported structure MFLOPs (mmengine.analysis): '
          f'{pruned_mflops:.4f} ({dev:+.2f} % from target)')
    from gml.engine.estimators.latency import format_latency
    lat = cpu_latencies(dict(unpruned=full_file, pruned=subnet))
    print(f'CPU latency of one eval forward of 128 images, '
          f'{torch_threads()} torch thread(s), wall clock: median of 35 '
          'calls, the two models timed in 7 interleaved rounds (in '
          'brackets: the fastest and slowest round\'s median)')
    print('| model | MFLOPs | test top-1 (%) | CPU ms / 128 images | '
          'retrain time (s) |')
    print('|---|---|---|---|---|')
    print(f'| MobileNetV2 (unpruned, widen 0.5) | {full_mflops:.4f} | '
          f'{full_acc:.2f} | {format_latency(lat["unpruned"])} | '
          f'{full_secs:.0f} |')
    print(f'| DMCP pruned | {pruned_mflops:.4f} | {pruned_acc:.2f} | '
          f'{format_latency(lat["pruned"])} | {pruned_secs:.0f} |')


def torch_threads() -> int:
    import torch
    return torch.get_num_threads()


if __name__ == '__main__':
    main()
