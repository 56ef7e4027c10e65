"""Cost of training through gml/mmengine's Runner over a plain torch loop.

The same model (built from the config), data (the config's train
dataloader: the embedded digits, 34 batches of 32 per epoch by default) and
optimizer, trained for N iterations each way, in one run:

* ``plain``: a hand-written ``for batch in loader`` loop, epoch after epoch;
* ``epoch-based``: the Runner with ``EpochBasedTrainLoop`` (gml's digits
  configs);
* ``iter-based + InfiniteSampler``: the Runner with ``IterBasedTrainLoop``
  over an endless sampler (what gml gives iteration-based configs, e.g. the
  old toolbox's SPOS config);
* ``iter-based + DefaultSampler``: the same loop over an epoch sampler, for
  reference: mmengine restarts the dataloader at each epoch end and sleeps
  2 s there (``_InfiniteDataloaderIterator``).

Validation, checkpoints and logging are off so the loop itself is measured;
iterations 5..N+5 are timed (start-up and tear-down excluded). The loops
alternate ``--repeats`` times and the best of each is kept (order and noise
effects).

    python tools/benchmark/train_overhead.py [--config C] [--iters 200]
"""
import argparse
import copy
import os
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))

from gml.registry import MODELS  # noqa: E402
from gml.config.loading import load_config  # noqa: E402

DEFAULT_CFG = 'configs/classification/digits/resnet18_digits.py'
WARMUP = 5


def plain_loop(cfg, iters: int) -> float:
    """iterations/s of a bare torch loop over the same data and model."""
    from mmengine.runner import Runner
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    loader = Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader))
    opt_cfg = cfg.optim_wrapper.optimizer
    optimizer = torch.optim.SGD(
        model.parameters(), lr=opt_cfg.lr, momentum=opt_cfg.momentum,
        weight_decay=opt_cfg.weight_decay,
        nesterov=opt_cfg.get('nesterov', False))
    model.train()
    done, start = 0, None
    while done < iters + WARMUP:
        for batch in loader:
            if done == WARMUP:
                start = time.perf_counter()
            data = model.data_preprocessor(batch, True)
            losses = model(**data, mode='loss')
            loss = sum(v for v in losses.values())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            done += 1
            if done == iters + WARMUP:
                break
    return iters / (time.perf_counter() - start)


def runner_loop(cfg, iters: int, loop: str) -> float:
    """iterations/s of mmengine's Runner; ``loop`` is ``epoch``,
    ``iter-infinite`` or ``iter-default``."""
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    class Clock(Hook):
        """Times iterations WARMUP..N+WARMUP only."""

        def __init__(self):
            self.start = self.end = None

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if runner.iter == WARMUP:
                self.start = time.perf_counter()

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            if runner.iter + 1 == iters + WARMUP:
                self.end = time.perf_counter()

    cfg = copy.deepcopy(cfg)
    total = iters + WARMUP
    if loop == 'epoch':
        per_epoch = len(Runner.build_dataloader(
            copy.deepcopy(cfg.train_dataloader)))
        cfg.train_cfg = dict(by_epoch=True, max_epochs=-(-total // per_epoch),
                             val_interval=10**9)
    else:
        cfg.train_cfg = dict(by_epoch=False, max_iters=total,
                             val_interval=10**9)
        cfg.train_dataloader.sampler = dict(
            type='InfiniteSampler' if loop == 'iter-infinite'
            else 'DefaultSampler', shuffle=True)
    cfg.param_scheduler = None
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=10**9, save_last=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10**9)
    cfg.log_level = 'WARNING'
    cfg.work_dir = tempfile.mkdtemp(prefix='gml-bench-')
    clock = Clock()
    runner = Runner.from_cfg(cfg)
    runner.register_hook(clock, priority='LOWEST')
    runner.train()
    return iters / (clock.end - clock.start)


LOOPS = {
    'plain torch loop': None,
    'epoch-based Runner': 'epoch',
    'iter-based + InfiniteSampler': 'iter-infinite',
    'iter-based + DefaultSampler': 'iter-default',
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CFG)
    parser.add_argument('--iters', type=int, default=200)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    runs = {name: [] for name in LOOPS}
    for _ in range(args.repeats):
        for name, loop in LOOPS.items():
            runs[name].append(plain_loop(cfg, args.iters) if loop is None
                              else runner_loop(cfg, args.iters, loop))
    from mmengine.runner import Runner
    per_epoch = len(Runner.build_dataloader(copy.deepcopy(
        cfg.train_dataloader)))
    plain = max(runs['plain torch loop'])
    print(f'config: {args.config}, batch {cfg.train_dataloader.batch_size}, '
          f'{per_epoch} batches per epoch, {args.iters} timed iterations, '
          f'{args.threads} threads, best of {args.repeats}')
    print(f'{"loop":32s} {"it/s":>8s} {"plain/loop":>11s}   runs (it/s)')
    for name, values in runs.items():
        best = max(values)
        print(f'{name:32s} {best:8.2f} {plain / best:10.3f}x   '
              + ', '.join(f'{v:.2f}' for v in values))


if __name__ == '__main__':
    main()
