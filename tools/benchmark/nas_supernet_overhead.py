"""Cost of SPOS's one-shot machinery: supernet vs plain subnet training.

    python tools/benchmark/nas_supernet_overhead.py [--iters 40] [--repeats 3]

Times ``model.train_step`` (what mmengine's loop calls: preprocess, forward,
backward, SGD step) on one digits batch for
  A. the SPOS supernet running one fixed subnet (sampling, choice setting,
     the optimizer over all supernet parameters: the machinery alone),
  B. the same subnet fixed with ``mutable_cfg`` (an ordinary network),
  C. the supernet sampling a new uniform path every step (real SPOS).
Prints iterations/s (best of --repeats, interleaved) and A/B.
"""
import argparse
import os.path as osp
import random
import sys
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
CONFIG = osp.join(ROOT,
                  'configs/nas/spos/spos_shufflenetv2_supernet_digits.py')


def build(cfg, **kwargs):
    from gml.registry import MODELS
    return MODELS.build(dict(cfg.model,
                             data_preprocessor=cfg.data_preprocessor,
                             **kwargs))


def iters_per_s(model, data, iters):
    from mmengine.optim import OptimWrapper
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01,
                                           momentum=0.9))
    model.train()
    for _ in range(3):  # warm-up
        model.train_step(data, wrapper)
    start = time.perf_counter()
    for _ in range(iters):
        model.train_step(data, wrapper)
    return iters / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--iters', type=int, default=40)
    p.add_argument('--repeats', type=int, default=3)
    args = p.parse_args()
    from mmengine.dataset import pseudo_collate

    from gml.registry import DATASETS
    from gml.config.loading import load_config
    cfg = load_config(CONFIG)
    torch.manual_seed(0)
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    data = pseudo_collate([ds[i] for i in range(32)])
    supernet, sampling = build(cfg), build(cfg)
    subnet = supernet.mutator.sample_choices(random.Random(0))
    supernet.mutator.sample_choices = lambda rng=None: dict(subnet)
    fixed = build(cfg, mutable_cfg=subnet)
    best = {'A': 0.0, 'B': 0.0, 'C': 0.0}
    for _ in range(args.repeats):
        for key, model in (('A', supernet), ('B', fixed), ('C', sampling)):
            best[key] = max(best[key], iters_per_s(model, data, args.iters))
    print(f'torch threads: {torch.get_num_threads()}, batch 32 x 3x8x8, '
          f'{args.iters} iters x best of {args.repeats}')
    print(f'A supernet, one fixed path : {best["A"]:.2f} it/s')
    print(f'B same subnet, plain model : {best["B"]:.2f} it/s')
    print(f'C supernet, uniform paths  : {best["C"]:.2f} it/s')
    print(f'one-shot overhead A/B time : {best["B"] / best["A"]:.3f}x')


if __name__ == '__main__':
    main()
