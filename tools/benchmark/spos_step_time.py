"""Seconds per supernet training step of an SPOS config, for config variants
side by side (rounds interleaved, so load moves them together).

    python tools/benchmark/spos_step_time.py [--config CFG] [--threads 2]
        [--input-size 28] [--rounds 5] [--steps 10]
        [--variant NAME KEY=VALUE ...] ...

Each step is what the supernet's training does: a random path, forward,
loss, backward and an SGD step, on a batch of the config's batch size of
random inputs (the data pipeline is not timed). Default: the Fashion-MNIST
supernet with the stem at stride 1 (maps 28, 14, 7, 7) and at stride 2
(14, 7, 4, 4), the choice behind ``stem_stride=2`` in its config.
"""
import argparse
import os.path as osp
import random
import statistics
import sys
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
DEFAULT = 'configs/nas/spos/spos_shufflenetv2_supernet_fashion_mnist.py'


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default=DEFAULT)
    p.add_argument('--input-size', type=int, default=28)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--rounds', type=int, default=5)
    p.add_argument('--steps', type=int, default=10, help='steps per round')
    p.add_argument('--variant', nargs='+', action='append', metavar='X',
                   help='NAME then KEY=VALUE overrides (repeatable)')
    return p.parse_args()


def build(config, options, size):
    from gml.registry import MODELS
    from gml.config.loading import load_config
    cfg = load_config(osp.join(ROOT, config), options)
    spos = MODELS.build(cfg.model)
    shape = (cfg.train_dataloader.batch_size,
             cfg.model.model.backbone.get('in_channels', 3), size, size)
    return spos, shape


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    from gml.config.overrides import parse_cfg_options
    variants = args.variant or [['stem_stride=1',
                                 'model.backbone.stem_stride=1'],
                                ['stem_stride=2',
                                 'model.backbone.stem_stride=2']]
    runs = []
    for name, *opts in variants:
        spos, shape = build(args.config, parse_cfg_options(opts),
                            args.input_size)
        x = torch.randn(shape)
        y = torch.randint(0, 10, (shape[0], ))
        opt = torch.optim.SGD(spos.parameters(), lr=0.01, momentum=0.9)
        runs.append(dict(name=name, spos=spos, x=x, y=y, opt=opt, times=[],
                         rng=random.Random(0)))

    def step(r):
        r['spos'].set_subnet(r['spos'].mutator.sample_choices(r['rng']))
        out = r['spos'].architecture(r['x'], mode='tensor')
        loss = torch.nn.functional.cross_entropy(out, r['y'])
        r['opt'].zero_grad()
        loss.backward()
        r['opt'].step()

    for r in runs:  # warm-up
        for _ in range(2):
            step(r)
    for _ in range(args.rounds):
        for r in runs:
            start = time.perf_counter()
            for _ in range(args.steps):
                step(r)
            r['times'].append((time.perf_counter() - start) / args.steps)
    print(f'{args.config}, batch {runs[0]["x"].shape[0]}, {args.threads} '
          f'thread(s), {args.rounds} interleaved rounds of {args.steps} '
          'steps:')
    print('| variant | s/step, median | min - max |')
    print('|---|---|---|')
    for r in runs:
        t = r['times']
        print(f'| {r["name"]} | {statistics.median(t):.3f} | '
              f'{min(t):.3f} - {max(t):.3f} |')


if __name__ == '__main__':
    main()
