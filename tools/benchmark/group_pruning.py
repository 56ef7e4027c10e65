"""gml.GroupPruning on real data: a small ResNet (mmpretrain ResNet_CIFAR-18,
16 base channels) trained, then pruned to 50 % and 25 % of its FLOPs with
L1, Taylor and BN-scale importance, one-shot (all at once, then fine-tuned)
or iterative (3 steps spread over the same fine-tuning), with and without KD
from the unpruned model during fine-tuning, channels rounded to
``--round-to``. Prints test top-1 against the unpruned model, params, FLOPs
and onnxruntime CPU latency at batch 1 and 64 (all models timed in
interleaved rounds; median and interquartile spread over rounds), including
the same targets pruned without channel rounding (structure only, for the
latency comparison).

    OMP_NUM_THREADS=1 python tools/benchmark/group_pruning.py \
        [--dataset fashion_mnist|digits] [--epochs N] [--finetune-epochs N]
        [--round-to 8] [--seeds 0,1,2] [--all-rows] [--rounds 15]

The first seed runs the whole matrix. Further seeds rerun it all with
``--all-rows``; otherwise only the rows the issue's goal is about (unpruned;
at 50 % the importance and schedule with the best validation top-1 with KD,
with and without KD; 25 % with KD). The table gives mean +- std over the
seeds a row ran. Plain PyTorch loops over
in-memory tensors (the same GroupPruning calls the hook makes).
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


def resnet(in_channels, strides):
    return dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmpretrain.ResNet_CIFAR', depth=18,
                      in_channels=in_channels, stem_channels=16,
                      base_channels=16, strides=strides),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=10,
                  in_channels=128))


# model, input shape, defaults: (pre-training epochs, fine-tuning epochs)
DATASETS = dict(
    # strides 2 from the first stage: 28 -> 14 -> 7 -> 4 -> 2 (7.9 M MACs)
    fashion_mnist=dict(model=resnet(1, (2, 2, 2, 2)), shape=(1, 28, 28),
                       epochs=2, finetune=0.3),
    digits=dict(model=resnet(3, (1, 2, 2, 2)), shape=(3, 8, 8), epochs=10,
                finetune=4))


def load(dataset, split):
    """(images normalized, labels) as tensors."""
    if dataset == 'digits':
        from gml.datasets import DigitsDataset
        images, labels = DigitsDataset(split=split, pipeline=[]).read_split()
        x = torch.from_numpy(images * (255.0 / 16.0)).round()
        x = ((x - 40.0) / 75.0)[:, None].repeat(1, 3, 1, 1)
        return x, torch.from_numpy(labels).long()
    from gml.datasets import FashionMNISTSplit
    ds = FashionMNISTSplit(data_root=osp.join(ROOT, 'data/fashion_mnist'),
                           split=split, pipeline=[], lazy_init=False)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    x = torch.from_numpy(np.stack([i['img'][..., 0] for i in infos]))
    x = ((x.float() - 72.94) / 90.02)[:, None]  # the config's mean/std
    return x, torch.tensor([int(i['gt_label']) for i in infos]).long()


def logits(model, x):
    return model(x, mode='tensor')


def train(model, data, epochs, lr, seed, teacher=None, prune_at=None,
          algo=None, batch=64):
    """SGD + cosine; ``prune_at``: {iteration: (step, steps)} of ``algo``."""
    x, y = data
    g = torch.Generator().manual_seed(seed)
    per_epoch = len(x) // batch
    iters = int(epochs * per_epoch)  # epochs may be a fraction
    opt = None
    it = 0
    while it < iters:
        model.train()
        order = torch.randperm(len(x), generator=g)
        for i in range(min(per_epoch, iters - it)):
            if prune_at and it in prune_at:
                algo.apply_spec(algo.search_spec(*prune_at[it]))
                opt = None  # new parameters: a new optimizer
                model.train()
            if opt is None:
                opt = torch.optim.SGD(model.parameters(), lr=lr,
                                      momentum=0.9, weight_decay=5e-4,
                                      nesterov=True)
            for group in opt.param_groups:
                group['lr'] = lr * 0.5 * (1 + np.cos(np.pi * it / iters))
            idx = order[i * batch:(i + 1) * batch]
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
    model.eval()


@torch.no_grad()
def top1(model, data):
    x, y = data
    model.eval()
    hits = sum((logits(model, x[i:i + 1000]).argmax(1) == y[i:i + 1000])
               .sum().item() for i in range(0, len(x), 1000))
    return 100.0 * hits / len(x)


def export(model, path, shape):
    from gml.models.algorithms.pruning.group_pruning import _TensorForward
    wrapped = _TensorForward(copy.deepcopy(model).eval(), logits).eval()
    torch.onnx.export(wrapped, (torch.randn(2, *shape), ), path,
                      dynamo=True, input_names=['x'], output_names=['y'],
                      dynamic_shapes=({0: torch.export.Dim('b', max=1024)},),
                      verbose=False)


def latencies(paths, rounds, shape):
    """{name: {batch: [ms per forward, one per round]}}, interleaved."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sessions = {n: ort.InferenceSession(p, opts,
                                        providers=['CPUExecutionProvider'])
                for n, p in paths.items()}
    inputs = {b: np.random.randn(b, *shape).astype(np.float32)
              for b in (1, 64)}
    reps = {1: 50, 64: 3}
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


class _Pass(torch.nn.Module):
    """The benchmark's tensors are normalized already."""

    def forward(self, data, training=False):
        return dict(inputs=data['inputs'], data_samples=data['data_samples'])


def taylor_batches(train_set, n=4, size=64):
    """The first ``n`` batches in dataset order (what the hook gives)."""
    from mmpretrain.structures import DataSample
    x, y = train_set
    return [dict(inputs=x[i:i + size],
                 data_samples=[DataSample().set_gt_label(int(v))
                               for v in y[i:i + size]])
            for i in range(0, n * size, size)]


def prune_run(setup, teacher, train_set, target, imp, sched, kd, seed,
              round_to, finetune, global_pruning=True):
    """A GroupPruning of the trained ``teacher``, fine-tuned; the algo."""
    from gml.models.algorithms.pruning.group_pruning import GroupPruning
    torch.manual_seed(seed)
    algo = GroupPruning(copy.deepcopy(setup['model']),
                        input_shape=(1, *setup['shape']),
                        target_flops=target, importance=imp,
                        round_to=round_to, global_pruning=global_pruning)
    algo.architecture.load_state_dict(teacher.state_dict())
    batches = None
    if imp == 'taylor':
        batches = taylor_batches(train_set)
        algo.data_preprocessor = _Pass()
    search = algo.search_spec
    algo.search_spec = (lambda step, steps: search(step, steps, batches))
    iters = int(finetune * (len(train_set[0]) // 64))
    if finetune and iters < 3:  # else the plan never prunes, or prunes once
        raise SystemExit(f'--finetune-epochs {finetune}: {iters} fine-tuning '
                         'steps; the iterative plan needs at least 3')
    plan = {0: (1, 1)} if sched == 'one-shot' else \
        {0: (1, 3), iters // 3: (2, 3), 2 * iters // 3: (3, 3)}
    if not finetune:  # structure only
        algo.apply_spec(algo.search_spec(1, 1))
    else:
        train(algo.architecture, train_set, finetune, 0.02, seed,
              teacher if kd else None, plan, algo)
    return algo


def name_of(target, imp, sched, kd, round_to=8):
    return (f'{int(target * 100)}% {imp} {sched}{" +KD" if kd else ""}'
            f'{"" if round_to else " (no round_to)"}')


def fmt(values, n_seeds):
    if len(values) == 1:
        text = f'{values[0]:.2f}'
    else:
        text = (f'{statistics.mean(values):.2f} ± '
                f'{statistics.stdev(values):.2f}')
    # a row some seeds missed (target not met) says how many it averages
    return text if len(values) == n_seeds else f'{text} (n={len(values)})'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dataset', choices=sorted(DATASETS),
                    default='fashion_mnist')
    ap.add_argument('--epochs', type=float, help='pre-training epochs')
    ap.add_argument('--finetune-epochs', type=float,
                    help='a fraction: that share of one epoch')
    ap.add_argument('--round-to', type=int, default=8, help='0: none')
    ap.add_argument('--rounds', type=int, default=15)
    ap.add_argument('--seeds', default='0,1,2')
    ap.add_argument('--all-rows', action='store_true',
                    help='every seed runs the whole matrix (default: '
                    'further seeds rerun only the goal rows)')
    ap.add_argument('--only', metavar='IMPORTANCE,SCHEDULE',
                    help='one cell of the matrix, e.g. l1,one-shot (both '
                    'targets, with and without KD): a longer fine-tune of '
                    'the best recipe in affordable time')
    ap.add_argument('--uniform', action='store_true',
                    help='one pruning ratio for all layers (default: '
                    'global ranking; with round_to 8 on 16-channel layers '
                    'a uniform ratio moves in steps too coarse for the '
                    'iterative targets)')
    ap.add_argument('--train-subset', type=int, default=0,
                    help='first N training images only (smoke runs)')
    args = ap.parse_args()
    torch.set_num_threads(1)
    import gml  # noqa: F401  registries
    from gml.models.algorithms.pruning.group_pruning import GroupPruning

    setup = DATASETS[args.dataset]
    epochs = args.epochs if args.epochs is not None else setup['epochs']
    ft = args.finetune_epochs if args.finetune_epochs is not None \
        else setup['finetune']
    seeds = [int(s) for s in args.seeds.split(',')]
    start = time.time()
    train_set, test_set = load(args.dataset, 'train'), \
        load(args.dataset, 'test')
    val_set = load(args.dataset, 'val') if args.dataset != 'digits' \
        else test_set  # digits: no separate val split
    if args.train_subset:
        train_set = tuple(t[:args.train_subset] for t in train_set)
    acc = {}  # row name -> [test top-1 per seed]
    val = {}
    info = {}  # row name -> (flops, params, structure key, model)
    matrix = [(t, i, s, k) for t in (0.5, 0.25)
              for i in ('l1', 'taylor', 'bn_scale')
              for s in ('one-shot', 'iterative') for k in (False, True)]
    if args.only:
        cell = tuple(args.only.split(','))
        matrix = [m for m in matrix if m[1:3] == cell]
        if not matrix:
            ap.error(f'--only {args.only}: expected IMPORTANCE,SCHEDULE with '
                     'IMPORTANCE l1|taylor|bn_scale, SCHEDULE '
                     'one-shot|iterative')
    goal = None
    missed = []
    from gml.utils.errors import UserError
    for seed in seeds:
        torch.manual_seed(seed)
        base = GroupPruning(copy.deepcopy(setup['model']),
                            input_shape=(1, *setup['shape']))
        train(base.architecture, train_set, epochs, 0.1, seed)
        teacher = base.architecture
        acc.setdefault('unpruned', []).append(top1(teacher, test_set))
        info.setdefault('unpruned', (base.base_flops, base.base_params,
                                     'unpruned', teacher))
        print(f'seed {seed} unpruned: {acc["unpruned"][-1]:.2f} '
              f'({time.time() - start:.0f} s)', flush=True)
        if goal is None or args.all_rows:
            runs = matrix
        else:
            runs = [(0.5, goal[0], goal[1], False),
                    (0.5, goal[0], goal[1], True),
                    (0.25, goal[0], goal[1], True)]
        for target, imp, sched, kd in runs:
            name = name_of(target, imp, sched, kd)
            try:
                algo = prune_run(setup, teacher, train_set, target, imp,
                                 sched, kd, seed, args.round_to or None, ft,
                                 not args.uniform)
            except UserError as e:  # e.g. the target missed by > 5 %
                missed.append(f'seed {seed} {name}: {e}')
                print(missed[-1], flush=True)
                continue
            acc.setdefault(name, []).append(top1(algo.architecture,
                                                 test_set))
            val[name] = top1(algo.architecture, val_set)
            flops, params = algo.count()
            info.setdefault(name, (flops, params, (target, imp, sched),
                                   algo.architecture))
            print(f'seed {seed} {name}: {acc[name][-1]:.2f} (val '
                  f'{val[name]:.2f}) ({time.time() - start:.0f} s)',
                  flush=True)
        if goal is None:
            goal = max(((i, s) for t, i, s, k in matrix if t == 0.5 and k),
                       key=lambda g: val.get(name_of(0.5, *g, True), -1))
            print(f'goal rows: {goal} (best 50 % +KD validation top-1)',
                  flush=True)
            # the same targets without channel rounding, for latency only
            if args.round_to:
                for target in (0.5, 0.25):
                    try:
                        algo = prune_run(setup, teacher, train_set, target,
                                         goal[0], 'one-shot', False, seed,
                                         None, 0, not args.uniform)
                    except UserError as e:
                        missed.append(f'seed {seed} {target} unrounded: {e}')
                        continue
                    flops, params = algo.count()
                    info[name_of(target, goal[0], 'one-shot', False,
                                 None)] = (flops, params,
                                           (target, 'noround'),
                                           algo.architecture)
    # latency: one ONNX file per distinct structure (KD keeps the structure)
    tmp = tempfile.mkdtemp(prefix='gp_bench_')
    paths = {}
    for name, (_, _, key, model) in info.items():
        if key not in paths:
            p = osp.join(tmp, f'{len(paths)}.onnx')
            export(model, p, setup['shape'])
            paths[key] = p
    lat = latencies(paths, args.rounds, setup['shape'])
    ref_flops = info['unpruned'][0]
    ref = statistics.mean(acc['unpruned'])
    shape = 'x'.join(str(s) for s in setup['shape'])
    print(f'\nResNet_CIFAR-18 (16 base ch.) on {args.dataset} ({shape}), '
          f'test split ({len(test_set[1])} images), seeds {args.seeds} '
          + ('(every row)' if args.all_rows else
             f'(rows with one figure: seed {seeds[0]} only)') +
          '; pre-training '
          f'{epochs} epochs, fine-tuning {ft} epochs; round_to '
          f'{args.round_to}, {"uniform" if args.uniform else "global"} '
          f'ratios; onnxruntime 1 thread, {args.rounds} '
          f'interleaved rounds, median (IQR) ms\n')
    print('| model | top-1 | vs unpruned | FLOPs (M MACs) | FLOPs ratio | '
          'params (M) | ms @1 | ms @64 |')
    print('|---|---|---|---|---|---|---|---|')
    for name, (flops, params, key, _) in info.items():
        m1, s1 = spread(lat[key][1])
        m64, s64 = spread(lat[key][64])
        a = acc.get(name)
        top = fmt(a, len(seeds)) if a else '–'
        diff = f'{statistics.mean(a) - ref:+.2f}' if a else '–'
        print(f'| {name} | {top} | {diff} | {flops / 1e6:.3f} | '
              f'{flops / ref_flops:.1%} | {params / 1e6:.3f} | '
              f'{m1:.3f} ({s1:.3f}) | {m64:.2f} ({s64:.2f}) |')
    for line in missed:
        print(f'\nnot in the table: {line}')
    print(f'\ntotal {time.time() - start:.0f} s')


if __name__ == '__main__':
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    main()
