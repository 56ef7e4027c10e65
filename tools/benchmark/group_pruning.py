"""gml.GroupPruning on the embedded digits: a ResNet-18 (CIFAR stem, 16 base
channels) trained, then pruned to 50 % and 25 % of its FLOPs with L1, Taylor
and BN-scale importance, one-shot (all at once, then fine-tuned) or
iterative (3 steps with fine-tuning in between, same total epochs), with and
without KD from the unpruned model during fine-tuning. Prints test top-1
against the unpruned model, params, FLOPs and onnxruntime CPU latency at
batch 1 and 64 (all models timed in interleaved rounds; median and
interquartile spread over rounds).

    OMP_NUM_THREADS=1 python tools/benchmark/group_pruning.py \
        [--epochs 10] [--finetune-epochs 4] [--rounds 15] [--seed 0]

Plain PyTorch loops over in-memory tensors (the same GroupPruning calls
the hook makes), so it runs in minutes on one core.
"""
import argparse
import copy
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

MODEL = dict(
    type='mmpretrain.ImageClassifier',
    backbone=dict(type='mmpretrain.ResNet_CIFAR', depth=18, stem_channels=16,
                  base_channels=16),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(type='mmpretrain.LinearClsHead', num_classes=10,
              in_channels=128))


def load(split):
    from gml.datasets import DigitsDataset
    images, labels = DigitsDataset(split=split, pipeline=[]).read_split()
    x = torch.from_numpy(images * (255.0 / 16.0)).round()
    x = ((x - 40.0) / 75.0)[:, None].repeat(1, 3, 1, 1)
    return x, torch.from_numpy(labels).long()


def logits(model, x):
    return model(x, mode='tensor')


def train(model, data, epochs, lr, seed, teacher=None, prune_at=None,
          algo=None):
    """SGD + cosine; ``prune_at``: {epoch: (step, steps)} of ``algo``."""
    x, y = data
    g = torch.Generator().manual_seed(seed)
    iters = epochs * (len(x) // 32)
    opt = sched = None
    it = 0
    for epoch in range(epochs):
        if prune_at and epoch in prune_at:
            algo.apply_spec(algo.search_spec(*prune_at[epoch]))
            opt = None  # new parameters: a new optimizer
        if opt is None:
            opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9,
                                  weight_decay=5e-4, nesterov=True)
            for group in opt.param_groups:
                group['lr'] = lr * 0.5 * (1 + np.cos(np.pi * it / iters))
        model.train()
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x) - 31, 32):
            idx = order[i:i + 32]
            out = logits(model, x[idx])
            loss = F.cross_entropy(out, y[idx])
            if teacher is not None:
                with torch.no_grad():
                    t = logits(teacher, x[idx])
                loss = loss + 16 * F.kl_div(F.log_softmax(out / 4, 1),
                                            F.softmax(t / 4, 1),
                                            reduction='batchmean')
            opt.zero_grad()
            loss.backward()
            opt.step()
            it += 1
            for group in opt.param_groups:
                group['lr'] = lr * 0.5 * (1 + np.cos(np.pi * it / iters))
    model.eval()


@torch.no_grad()
def top1(model, data):
    x, y = data
    model.eval()
    return 100.0 * (logits(model, x).argmax(1) == y).float().mean().item()


def export(model, path):
    from gml.models.algorithms.pruning.group_pruning import _TensorForward
    wrapped = _TensorForward(copy.deepcopy(model).eval(), logits)
    torch.onnx.export(wrapped, (torch.randn(2, 3, 8, 8), ), path,
                      dynamo=True, input_names=['x'], output_names=['y'],
                      dynamic_shapes=({0: torch.export.Dim('b', max=1024)},),
                      verbose=False)


def latencies(paths, rounds):
    """{name: {batch: [ms per forward, one per round]}}, interleaved."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sessions = {n: ort.InferenceSession(p, opts,
                                        providers=['CPUExecutionProvider'])
                for n, p in paths.items()}
    inputs = {b: np.random.randn(b, 3, 8, 8).astype(np.float32)
              for b in (1, 64)}
    reps = {1: 50, 64: 5}
    out = {n: {1: [], 64: []} for n in sessions}
    for r in range(rounds + 1):  # round 0 warms up
        for b in (1, 64):
            for n, s in sessions.items():
                start = time.perf_counter()
                for _ in range(reps[b]):
                    s.run(None, {'x': inputs[b]})
                if r:
                    out[n][b].append(
                        1000 * (time.perf_counter() - start) / reps[b])
    return out


def spread(values):
    q = statistics.quantiles(values, n=4)
    return statistics.median(values), q[2] - q[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--epochs', type=int, default=10)
    ap.add_argument('--finetune-epochs', type=int, default=4)
    ap.add_argument('--rounds', type=int, default=15)
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    import gml  # noqa: F401  registries
    from gml.models.algorithms.pruning.group_pruning import GroupPruning

    start = time.time()
    train_set, test_set = load('train'), load('test')
    torch.manual_seed(args.seed)
    base = GroupPruning(copy.deepcopy(MODEL), input_shape=(1, 3, 8, 8))
    train(base.architecture, train_set, args.epochs, 0.1, args.seed)
    teacher = base.architecture
    rows = [dict(name='unpruned', acc=top1(teacher, test_set),
                 flops=base.base_flops, params=base.base_params,
                 model=teacher)]
    ft = args.finetune_epochs
    iterative = {0: (1, 3), ft // 3: (2, 3), 2 * ft // 3: (3, 3)}
    for target in (0.5, 0.25):
        for imp in ('l1', 'taylor', 'bn_scale'):
            for sched in ('one-shot', 'iterative'):
                for kd in (False, True):
                    algo = GroupPruning(copy.deepcopy(MODEL),
                                        input_shape=(1, 3, 8, 8),
                                        target_flops=target, importance=imp,
                                        prune_epochs=[0] if sched ==
                                        'one-shot' else [0, 1, 2])
                    algo.architecture.load_state_dict(teacher.state_dict())
                    batches = None
                    if imp == 'taylor':  # first 4 batches, dataset order
                        x, y = train_set
                        from mmpretrain.structures import DataSample
                        batches = [dict(inputs=x[i:i + 32],
                                        data_samples=[
                                            DataSample().set_gt_label(int(v))
                                            for v in y[i:i + 32]])
                                   for i in range(0, 128, 32)]
                        algo.data_preprocessor = _Pass()
                    plan = {0: (1, 1)} if sched == 'one-shot' else iterative
                    _search = algo.search_spec
                    algo.search_spec = (lambda step, steps, _b=batches,
                                        _s=_search: _s(step, steps, _b))
                    train(algo.architecture, train_set, ft, 0.02,
                          args.seed, teacher if kd else None, plan, algo)
                    flops, params = algo.count()
                    rows.append(dict(
                        name=f'{int(target * 100)}% {imp} {sched}'
                             f'{" +KD" if kd else ""}',
                        acc=top1(algo.architecture, test_set), flops=flops,
                        params=params, model=algo.architecture,
                        structure=(target, imp, sched)))
                    print(f'{rows[-1]["name"]}: {rows[-1]["acc"]:.2f} '
                          f'({time.time() - start:.0f} s)', flush=True)
    # latency: one ONNX file per distinct structure (KD keeps the structure)
    tmp = tempfile.mkdtemp(prefix='gp_bench_')
    paths, key_of = {}, {}
    for row in rows:
        key = row.get('structure', 'unpruned')
        key_of[row['name']] = key
        if key not in paths:
            p = osp.join(tmp, f'{len(paths)}.onnx')
            export(row['model'], p)
            paths[key] = p
    lat = latencies(paths, args.rounds)
    ref = rows[0]
    print(f'\nResNet-18 (CIFAR stem, 16 base ch.) on the digits test split '
          f'({len(test_set[1])} images), seed {args.seed}; pre-training '
          f'{args.epochs} epochs, fine-tuning {ft} epochs; onnxruntime 1 '
          f'thread, {args.rounds} interleaved rounds, median (IQR) ms\n')
    print('| model | top-1 | vs unpruned | FLOPs (M MACs) | FLOPs ratio | '
          'params (M) | ms @1 | ms @64 |')
    print('|---|---|---|---|---|---|---|---|')
    for row in rows:
        m1, s1 = spread(lat[key_of[row['name']]][1])
        m64, s64 = spread(lat[key_of[row['name']]][64])
        print(f'| {row["name"]} | {row["acc"]:.2f} | '
              f'{row["acc"] - ref["acc"]:+.2f} | {row["flops"] / 1e6:.3f} | '
              f'{row["flops"] / ref["flops"]:.1%} | '
              f'{row["params"] / 1e6:.3f} | {m1:.3f} ({s1:.3f}) | '
              f'{m64:.2f} ({s64:.2f}) |')
    print(f'\ntotal {time.time() - start:.0f} s')


class _Pass(torch.nn.Module):
    """The benchmark's tensors are normalized already."""

    def forward(self, data, training=False):
        return dict(inputs=data['inputs'], data_samples=data['data_samples'])


if __name__ == '__main__':
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    main()
