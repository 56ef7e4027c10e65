"""Accuracy vs training compute of network morphism on the embedded digits.

A parent (the seed genotype of configs/nas/morphism) trains P epochs. It is
then widened (block 2: 16 -> 32 filters) or deepened (its last level copied
after itself), and the child trains N more epochs starting from the parent
with Net2Net, R2R, or random initialisation of the new units -- compared
with the same child architecture trained from scratch for P + N epochs.
Training compute counts 3 x forward FLOPs per training image (forward and
backward), the parent's epochs included for the morphed children.

Then the learning curves: each child's validation top-1 (360 images, the
split the evolution scores on) before its training and after each of its
N epochs, mean and std over the seeds, per mutation and initialisation.

    python tools/benchmark/morphism.py [--parent-epochs 4] \
        [--child-epochs 2] [--seeds 0 1 2]
"""
import argparse
import os.path as osp
import statistics
import sys
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

CONFIG = osp.join(ROOT, 'configs/nas/morphism/genotype_digits.py')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--parent-epochs', type=int, default=4)
    parser.add_argument('--child-epochs', type=int, default=2)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    args = parser.parse_args(argv)

    import gml.models  # noqa: F401  (registers the models)
    from gml.engine.scoring import evaluate_local, local_loader, train_epochs
    from gml.engine.estimators.resource_estimator import count_flops
    from gml.structures.genotype import load_genotype
    from gml.models.task_modules.morphism.inheritance import inherit
    from gml.models.mutators.genotype_mutator import Mutation
    from mmengine.evaluator import Evaluator

    from gml.registry import DATASETS, MODELS
    from gml.config.loading import load_config

    cfg = load_config(CONFIG)
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    batch = cfg.train_dataloader.batch_size
    val = local_loader(DATASETS.build(cfg.val_dataloader.dataset), 128,
                       False)
    test = local_loader(DATASETS.build(cfg.test_dataloader.dataset), 128,
                        False)
    evaluator = Evaluator(cfg.val_evaluator)
    seed_g = load_genotype(cfg.model.backbone.genotype)
    n_train = len(train_set)

    def build(genotype, seed):
        model_cfg = cfg.model.copy()
        model_cfg.backbone = dict(model_cfg.backbone,
                                  genotype=genotype.to_dict())
        torch.manual_seed(seed)
        return MODELS.build(model_cfg)

    def train(model, epochs, seed):
        return train_epochs(model, train_set, batch, cfg.optim_wrapper,
                            epochs, seed, lr_schedule='cosine')

    def train_curve(model, epochs, seed):
        """Validation top-1 before and after each epoch; the training time
        of the same schedule without the validations."""
        before = evaluate_local(model, val, evaluator)['accuracy/top1']
        log = train_epochs(model, train_set, batch, cfg.optim_wrapper,
                           epochs, seed, val, evaluator, 'accuracy/top1',
                           lr_schedule='cosine')
        return [before] + log['val_metric']

    def acc(model):
        return evaluate_local(model, test, evaluator)['accuracy/top1']

    # the two growing mutations
    (last_depth, last), = list(seed_g.levels('img').items())[-1:]
    wide_g = seed_g.with_branch('img', [
        b.with_(filters_out=32) if b.block_id == last[0].block_id else b
        for b in seed_g.branches['img']])
    wide = Mutation('filters', 'img', [last[0].block_id], 16, 32)
    new_id = seed_g.max_block_id + 1
    deep_g = seed_g.with_branch('img', seed_g.branches['img'] + [
        last[0].with_(block_id=new_id, depth_id=last_depth + 1, strides=1)])
    deep = Mutation('deepen', 'img', [new_id], last_depth)
    shape = (3, 8, 8)
    p, n = args.parent_epochs, args.child_epochs
    results, curves = {}, {}
    for seed in args.seeds:
        parent = build(seed_g, seed)
        train(parent, p, seed)
        parent_flops = count_flops(parent, shape)
        parent_acc = acc(parent)
        results.setdefault(('parent', f'{p} epochs'), []).append(
            (parent_acc, 3 * parent_flops * n_train * p, 0.0))
        for name, genotype, mutation in (('widen', wide_g, wide),
                                         ('deepen', deep_g, deep)):
            flops = count_flops(build(genotype, 0), shape)
            for method in ('net2net', 'r2r', 'random'):
                child = build(genotype, seed + 1000)
                inherit(parent.eval(), child, mutation, genotype, method,
                        torch.Generator().manual_seed(seed))
                before = acc(child)
                start = time.perf_counter()
                train(child, n, seed + 1)
                results.setdefault((name, method), []).append((
                    acc(child), 3 * (parent_flops * p + flops * n) * n_train,
                    time.perf_counter() - start, before))
                # the same child again, validated after every epoch
                child = build(genotype, seed + 1000)
                inherit(parent.eval(), child, mutation, genotype, method,
                        torch.Generator().manual_seed(seed))
                curves.setdefault((name, method), []).append(
                    train_curve(child, n, seed + 1))
            child = build(genotype, seed + 2000)
            start = time.perf_counter()
            train(child, p + n, seed + 1)
            results.setdefault((name, f'scratch {p + n} epochs'), []).append(
                (acc(child), 3 * flops * (p + n) * n_train,
                 time.perf_counter() - start))
        print(f'seed {seed} done', flush=True)

    print(f'\nDigits test top-1 (359 images), parent {p} epochs, children '
          f'+{n} epochs, seeds {args.seeds}')
    print('| child | init | top-1 before child training (mean) | test top-1 '
          'per seed | mean | training GFLOPs | train time (s) |')
    print('|---|---|---|---|---|---|---|')
    for (name, method), rows in results.items():
        accs = [r[0] for r in rows]
        before = (f'{statistics.mean(r[3] for r in rows):.2f}'
                  if len(rows[0]) > 3 else '-')
        print(f'| {name} | {method} | {before} | '
              + ', '.join(f'{a:.2f}' for a in accs)
              + f' | {statistics.mean(accs):.2f} | '
              f'{statistics.mean(r[1] for r in rows) / 1e9:.2f} | '
              f'{statistics.mean(r[2] for r in rows):.1f} |')

    print(f'\nLearning curves: validation top-1 (360 images) of each child '
          f'before its training (epoch 0) and after each of its {n} epochs, '
          f'mean (std) over seeds {args.seeds}')
    print('| child | init | ' + ' | '.join(
        f'epoch {e}' for e in range(n + 1)) + ' |')
    print('|---|---|' + '---|' * (n + 1))
    for (name, method), rows in curves.items():
        cells = []
        for e in range(n + 1):
            vals = [r[e] for r in rows]
            std = statistics.stdev(vals) if len(vals) > 1 else 0.0
            cells.append(f'{statistics.mean(vals):.2f} ({std:.2f})')
        print(f'| {name} | {method} | ' + ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main()
