"""Cost of gml/mmengine's Runner over a minimal hand-written torch loop.

The same model (built from the config), data (the embedded digits, same
pipeline and batch size) and optimizer, trained for N iterations each way;
prints both iterations/s and their ratio. Validation, checkpoints and
logging are off in the Runner so the loop itself is measured.

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
from gml.utils.config import load_config  # noqa: E402

DEFAULT_CFG = 'configs/classification/digits/resnet18_digits.py'


def plain_loop(cfg, iters: int) -> float:
    """iterations/s of a bare torch loop over the same data and model."""
    from mmengine.runner import Runner
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    loader = Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader))
    opt_cfg = cfg.optim_wrapper.optimizer
    optimizer = torch.optim.SGD(
        model.parameters(), lr=opt_cfg.lr, momentum=opt_cfg.momentum,
        weight_decay=opt_cfg.weight_decay, nesterov=opt_cfg.nesterov)
    model.train()
    done, start = 0, None
    while done < iters + 5:
        for batch in loader:
            if done == 5:  # warm-up iterations excluded
                start = time.perf_counter()
            data = model.data_preprocessor(batch, True)
            losses = model(**data, mode='loss')
            loss = sum(v for v in losses.values())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            done += 1
            if done == iters + 5:
                break
    return iters / (time.perf_counter() - start)


def runner_loop(cfg, iters: int) -> float:
    """iterations/s of mmengine's Runner (IterBasedTrainLoop)."""
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    class Clock(Hook):
        """Times iterations 5..N+5 only (not start-up or tear-down)."""

        def __init__(self):
            self.start = self.end = None

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if runner.iter == 5:
                self.start = time.perf_counter()

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            if runner.iter + 1 == iters + 5:
                self.end = time.perf_counter()

    cfg = copy.deepcopy(cfg)
    cfg.train_cfg = dict(by_epoch=False, max_iters=iters + 5,
                         val_interval=10**9)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CFG)
    parser.add_argument('--iters', type=int, default=200)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=2,
                        help='alternate the two loops this many times and '
                        'keep the best of each (order and noise matter)')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    plains, runners = [], []
    for _ in range(args.repeats):
        runners.append(runner_loop(cfg, args.iters))
        plains.append(plain_loop(cfg, args.iters))
    plain, runner = max(plains), max(runners)
    print(f'config: {args.config}, batch {cfg.train_dataloader.batch_size}, '
          f'{args.iters} iterations, {args.threads} threads, best of '
          f'{args.repeats}')
    print('runs (it/s): plain ' + ', '.join(f'{v:.2f}' for v in plains) +
          '; gml ' + ', '.join(f'{v:.2f}' for v in runners))
    print(f'plain torch loop : {plain:8.2f} it/s')
    print(f'gml/mmengine     : {runner:8.2f} it/s')
    print(f'ratio plain/gml  : {plain / runner:8.3f}x')


if __name__ == '__main__':
    main()
