"""How well does the supernet rank subnets? Kendall tau / Spearman rho
between supernet scores and standalone (retrained) accuracies.

    python tools/benchmark/nas_ranking.py SUPERNET_CKPT [--num 24] [--seed 0]
        [--dataset digits|fashion_mnist] [--jobs 2]
        [--work-dir work_dirs/nas_ranking] [--cfg-options ...]

``--num`` subnets are picked with a fixed seed to span the FLOPs range
(2,000 uniform samples sorted by FLOPs, taken at evenly spaced ranks).
Each is scored with the supernet's weights as the search scores it (BN
re-estimated on the search config's calibration batches, top-1 on the
search's scoring data: the val split, never the test split) and
trained alone with the retraining recipe (``tools/train.py`` on the subnet
config, then ``tools/test.py``: test top-1). Prints both per subnet, the
correlations, and the mean and spread of the standalone accuracies.
Finished retrainings in WORK_DIR are reused.
"""
import argparse
import json
import os
import os.path as osp
import random
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
CFG = osp.join(ROOT, 'configs/nas/spos')


def spos_config(kind: str, dataset: str) -> str:
    """The shipped SPOS config ``kind`` (evolution_search, random_search,
    subnet) of ``dataset`` (digits, fashion_mnist)."""
    return osp.join(CFG, f'spos_shufflenetv2_{kind}_{dataset}.py')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('checkpoint', help='supernet checkpoint (tools/train.py '
                   'on the supernet config of --dataset)')
    p.add_argument('--dataset', choices=('digits', 'fashion_mnist'),
                   default='digits')
    p.add_argument('--num', type=int, default=24)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--jobs', type=int, default=2,
                   help='retrainings run at once (one thread each)')
    p.add_argument('--work-dir', default='work_dirs/nas_ranking')
    p.add_argument('--cfg-options', nargs='+', default=[],
                   help='passed to the retrainings, e.g. '
                   'train_cfg.max_epochs=3')
    return p.parse_args()


def pick_subnets(mutator, estimator, num, seed):
    rng = random.Random(seed)
    pool = {}
    for _ in range(2000):
        s = mutator.sample_choices(rng)
        pool[tuple(s.values())] = s
    ranked = sorted(pool.values(), key=lambda s: (estimator.estimate(s),
                                                  tuple(s.values())))
    if len(ranked) < num:
        sys.exit(f'only {len(ranked)} distinct subnets sampled, {num} asked')
    return [ranked[round(i * (len(ranked) - 1) / (num - 1))]
            for i in range(num)]


def supernet_scores(checkpoint, num, seed, dataset='digits'):
    from mmengine.runner import Runner, load_checkpoint

    from gml.engine.estimators import SubnetResourceEstimator
    from gml.engine.scoring.candidate_scorer import (cache_batches, evaluate,
                                                    recalibrate_bn)
    from gml.registry import MODELS
    from gml.config.loading import load_config
    cfg = load_config(spos_config('evolution_search', dataset))
    model = MODELS.build(dict(cfg.model,
                              data_preprocessor=cfg.data_preprocessor))
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    estimator = SubnetResourceEstimator(model.architecture, model.mutator,
                                        cfg.train_cfg.input_shape)
    calib = cache_batches(
        Runner.build_dataloader(cfg.train_dataloader, seed=seed),
        cfg.train_cfg.calibrate_batches)
    val = Runner.build_dataloader(
        cfg.train_cfg.get('dataloader') or cfg.val_dataloader, seed=seed)
    evaluator = Runner.build_evaluator(None, cfg.val_evaluator)
    rows = []
    for subnet in pick_subnets(model.mutator, estimator, num, seed):
        model.set_subnet(subnet)
        recalibrate_bn(model, calib)
        score = evaluate(model, val, evaluator)[cfg.train_cfg.score_key]
        flops, params = estimator.estimate(subnet)
        rows.append(dict(subnet=subnet, supernet_val_top1=score,
                         flops_M=flops / 1e6))
        print(f'supernet score {len(rows):2d}/{num}: {score:.2f}',
              flush=True)
    return rows


def retrain(name, row, work_dir, cfg_options, dataset='digits'):
    """Train ``row['subnet']`` alone (subnet config) in WORK_DIR/name and
    test it; its test top-1. A finished run is reused."""
    from gml.structures import dump_subnet
    wd = osp.join(work_dir, name)
    metrics = osp.join(wd, 'test_metrics.json')
    if not osp.isfile(metrics):
        os.makedirs(wd, exist_ok=True)
        yaml = osp.join(wd, 'subnet.yaml')
        dump_subnet(row['subnet'], yaml)
        opts = ['--cfg-options', f'algorithm.mutable_cfg={yaml}',
                *cfg_options]
        env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join(
            x for x in (ROOT, os.environ.get('PYTHONPATH')) if x))
        with open(osp.join(wd, 'log.txt'), 'w') as log:
            subnet_cfg = spos_config('subnet', dataset)
            for cmd in (['tools/train.py', subnet_cfg, '--work-dir', wd,
                         *opts],
                        None):
                if cmd is None:
                    with open(osp.join(wd, 'last_checkpoint')) as f:
                        ckpt = f.read().strip()
                    cmd = ['tools/test.py', subnet_cfg, ckpt, '--work-dir', wd,
                           '--out', metrics, *opts]
                subprocess.run([sys.executable, *cmd], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT,
                               check=True)
    with open(metrics) as f:
        return json.load(f)['accuracy/top1']


def main():
    args = parse_args()
    from scipy.stats import kendalltau, spearmanr
    work_dir = osp.abspath(args.work_dir)
    rows = supernet_scores(args.checkpoint, args.num, args.seed,
                           args.dataset)
    with ThreadPoolExecutor(args.jobs) as pool:
        accs = list(pool.map(
            lambda ir: retrain(f'subnet_{ir[0]:02d}', ir[1], work_dir,
                               args.cfg_options, args.dataset),
            enumerate(rows)))
    print('\n| # | MFLOPs | supernet val top-1 | standalone test top-1 |')
    print('|---|---|---|---|')
    for i, (row, acc) in enumerate(zip(rows, accs)):
        row['standalone_test_top1'] = acc
        print(f'| {i} | {row["flops_M"]:.3f} | '
              f'{row["supernet_val_top1"]:.2f} | {acc:.2f} |')
    scores = [r['supernet_val_top1'] for r in rows]
    tau, tau_p = kendalltau(scores, accs)
    rho, rho_p = spearmanr(scores, accs)
    summary = dict(num=len(rows), kendall_tau=tau, kendall_p=tau_p,
                   spearman_rho=rho, spearman_p=rho_p,
                   standalone_mean=statistics.mean(accs),
                   standalone_std=statistics.stdev(accs),
                   standalone_min=min(accs), standalone_max=max(accs),
                   rows=rows)
    from gml.utils.fileio import atomic_dump_json
    atomic_dump_json(summary, osp.join(work_dir, 'ranking.json'))
    print(f'\n{len(rows)} subnets: Kendall tau {tau:.3f} (p={tau_p:.3f}), '
          f'Spearman rho {rho:.3f} (p={rho_p:.3f}); standalone test top-1 '
          f'mean {summary["standalone_mean"]:.2f}, std '
          f'{summary["standalone_std"]:.2f}, range {min(accs):.2f}-'
          f'{max(accs):.2f}')


if __name__ == '__main__':
    main()
