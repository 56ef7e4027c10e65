"""Pareto evolution vs random sampling vs Pareto evolution with predictor
screening, at an equal number of scored subnets, over seeds.

    python tools/benchmark/pareto_search.py SUPERNET_CKPT \
        [--seeds 0 1 2] [--budget GENERATIONS CANDIDATES] \
        [--work-dir work_dirs/pareto_search_bench] [--cfg-options ...]

Each run is ``tools/search.py`` with
configs/nas/pareto/spos_shufflenetv2_pareto_search_digits.py:
``pareto`` with ``train_cfg.predictor=None``, ``pareto+predictor`` as
configured; ``random`` is configs/nas/spos/spos_shufflenetv2_random_search_
digits.py without its FLOPs limit (uniform sampling, same scoring). All
runs share one latency table (measured by the first; the random runs'
latencies are read from it), so latencies compare.
Prints, per method, the hypervolume of the front found over the config's
objectives (each objective scaled to [0, 1] by the best and worst value any
run evaluated; reference point 1.1 in every dimension), the front size, and
for the predictor runs the score predictor's Spearman rank correlation on
the candidates it chose (per generation, then averaged).
"""
import argparse
import csv
import json
import os
import os.path as osp
import statistics
import subprocess
import sys

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
CONFIG = 'configs/nas/pareto/spos_shufflenetv2_pareto_search_digits.py'
# the digits random search, without its FLOPs limit (the Pareto config has
# none), calibrated and scored as the Pareto one
RANDOM = 'configs/nas/spos/spos_shufflenetv2_random_search_digits.py'
METHODS = {
    'random': (RANDOM, ['train_cfg.flops_range=None']),
    'pareto': (CONFIG, ['train_cfg.predictor=None']),
    'pareto+predictor': (CONFIG, []),
}


def run_search(kind, seed, args, lut, budget):
    wd = osp.join(args.work_dir, f'{kind.replace("+", "_")}_seed{seed}')
    state = osp.join(wd, 'search_state.json')
    config, extra = METHODS[kind]
    extra = list(extra)
    if config == CONFIG:
        extra.append(f'train_cfg.latency.lut_file={lut}')
    if not osp.isfile(osp.join(wd, 'best_subnet.yaml')):
        cmd = [sys.executable, osp.join(ROOT, 'tools/search.py'),
               osp.join(ROOT, config), args.checkpoint, '--work-dir', wd,
               '--cfg-options', f'randomness.seed={seed}', *budget, *extra,
               *args.cfg_options]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            x for x in (ROOT, os.environ.get('PYTHONPATH')) if x))
        os.makedirs(wd, exist_ok=True)
        with open(osp.join(wd, 'bench.log'), 'w') as log:
            subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=log,
                           stderr=subprocess.STDOUT)
    with open(state) as f:
        return wd, json.load(f)['records']


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('checkpoint')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--budget', type=int, nargs=2, default=None,
                   metavar=('GENERATIONS', 'CANDIDATES'))
    p.add_argument('--work-dir', default='work_dirs/pareto_search_bench')
    p.add_argument('--cfg-options', nargs='+', default=[])
    args = p.parse_args()

    from gml.engine.estimators.latency import LatencyTable
    from gml.engine.strategies.pareto import front_records, hypervolume
    from gml.config.loading import load_config
    cfg = load_config(osp.join(ROOT, CONFIG))
    objectives = dict(cfg.train_cfg.objectives)
    budget = [] if args.budget is None else [
        f'train_cfg.max_epochs={args.budget[0]}',
        f'train_cfg.num_candidates={args.budget[1]}']
    os.makedirs(args.work_dir, exist_ok=True)
    lut_path = osp.abspath(osp.join(args.work_dir, 'latency_lut.json'))

    runs = {k: [] for k in METHODS}
    order = ['pareto', 'pareto+predictor', 'random']  # pareto measures LUT
    for seed in args.seeds:
        for kind in order:
            wd, records = run_search(kind, seed, args, lut_path, budget)
            runs[kind].append((seed, wd, records))
            print(f'seed {seed} {kind:16s}: {len(records)} scored',
                  flush=True)
    with open(lut_path) as f:
        lut = LatencyTable.from_dict(json.load(f))
    for kind in runs:
        for _, _, records in runs[kind]:
            for r in records:  # the random loop records no latency
                r.setdefault('latency_ms', lut.predict(r['subnet']))

    every = [r for rs in runs.values() for _, _, recs in rs for r in recs]
    sign = np.array([-1.0 if d == 'max' else 1.0
                     for d in objectives.values()])
    raw = np.array([[r[n] for n in objectives] for r in every]) * sign
    lo, hi = raw.min(0), raw.max(0)
    span = np.where(hi > lo, hi - lo, 1.0)

    def hv(records):
        front = front_records(records, objectives)
        x = (np.array([[r[n] for n in objectives] for r in front]) * sign
             - lo) / span
        return hypervolume(x, np.full(len(objectives), 1.1)), len(front)

    print(f'\n{lut.summary()}')
    print(f'objectives: {objectives}; budget: '
          f'{len(runs["pareto"][0][2])} scored subnets per run\n')
    print('| method | seeds | scored each | hypervolume per seed | mean '
          '(std) | front size per seed | score predictor Spearman per '
          'seed (mean over generations) |')
    print('|---|---|---|---|---|---|---|')
    for kind in ['random', 'pareto', 'pareto+predictor']:
        hvs, sizes, rhos = [], [], []
        for seed, wd, records in runs[kind]:
            h, n = hv(records)
            hvs.append(h)
            sizes.append(n)
            log = osp.join(wd, 'predictors.csv')
            if osp.isfile(log):
                with open(log) as f:
                    vals = [float(r['spearman']) for r in csv.DictReader(f)
                            if r['objective'] == 'score']
                vals = [v for v in vals if v == v]  # drop NaN
                rhos.append(statistics.mean(vals) if vals else float('nan'))
        rho_text = ', '.join(f'{r:.2f}' for r in rhos) if rhos else '-'
        print(f'| {kind} | {len(hvs)} | {len(runs[kind][0][2])} | '
              f'{", ".join(f"{h:.4f}" for h in hvs)} | '
              f'{statistics.mean(hvs):.4f} ({statistics.pstdev(hvs):.4f}) | '
              f'{", ".join(map(str, sizes))} | {rho_text} |')


if __name__ == '__main__':
    main()
