"""Evolution vs random search at an equal number of evaluated candidates,
judged on proxy scores and on retrained accuracy.

    python tools/benchmark/nas_search_compare.py SUPERNET_CKPT \
        [--dataset digits|fashion_mnist] [--seeds 0 1 2]
        [--budget GENERATIONS CANDIDATES] [--jobs 2]
        [--work-dir work_dirs/nas_search_compare] [--cfg-options ...]

Runs tools/search.py with the evolution and random search configs of
``--dataset``
(same budget: max_epochs x num_candidates) once per seed, then retrains
each search's best subnet from scratch with the subnet config (as
tools/benchmark/nas_ranking.py does) and prints, per seed, the best proxy
score (val top-1 with the supernet's weights, BN recalibrated) and the
retrained test top-1. Finished searches/retrainings in WORK_DIR are reused.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from nas_ranking import ROOT, retrain, spos_config  # noqa: E402

CONFIGS = {'evolution': 'evolution_search', 'random': 'random_search'}


def search(kind, seed, args, budget):
    wd = osp.join(args.work_dir, f'{kind}_seed{seed}')
    if not osp.isfile(osp.join(wd, 'best_subnet.yaml')):
        cmd = [sys.executable, osp.join(ROOT, 'tools/search.py'),
               spos_config(CONFIGS[kind], args.dataset), args.checkpoint,
               '--work-dir',
               wd, '--cfg-options', f'randomness.seed={seed}', *budget[kind],
               *args.cfg_options]
        env = dict(os.environ, OMP_NUM_THREADS='1',
                   PYTHONPATH=os.pathsep.join(
                       x for x in (ROOT, os.environ.get('PYTHONPATH')) if x))
        subprocess.run(cmd, cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(osp.join(wd, 'search_state.json')) as f:
        records = json.load(f)['records']
    best = sorted(records, key=lambda r: (-r['score'], r['id']))[0]
    return dict(kind=kind, seed=seed, evaluated=len(records),
                best_score=best['score'], subnet=best['subnet'])


def spread(values) -> str:
    """``mean ± std`` over the seeds (std: sample, 0 for one seed)."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f'{statistics.mean(values):.2f} ± {std:.2f}'


def main():
    p = argparse.ArgumentParser()
    p.add_argument('checkpoint')
    p.add_argument('--dataset', choices=('digits', 'fashion_mnist'),
                   default='digits')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--work-dir', default='work_dirs/nas_search_compare')
    p.add_argument('--budget', type=int, nargs=2, metavar=('GENERATIONS',
                                                           'CANDIDATES'),
                   help='override the configs\' max_epochs/num_candidates '
                   '(evolution: 1/2 of the candidates mutants, 1/3 '
                   'crossovers)')
    p.add_argument('--jobs', type=int, default=2,
                   help='searches/retrainings run at once')
    p.add_argument('--cfg-options', nargs='+', default=[],
                   help='passed to the searches')
    args = p.parse_args()
    args.work_dir = osp.abspath(args.work_dir)
    budget = {k: [] for k in CONFIGS}
    if args.budget:
        gens, cands = args.budget
        for k in CONFIGS:
            budget[k] = [f'train_cfg.max_epochs={gens}',
                         f'train_cfg.num_candidates={cands}']
        budget['evolution'] += [f'train_cfg.num_mutation={cands // 2}',
                                f'train_cfg.num_crossover={cands // 3}']
    jobs = [(kind, seed) for seed in args.seeds for kind in CONFIGS]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda j: search(*j, args, budget), jobs))
        for r in results:
            print(f'seed {r["seed"]} {r["kind"]:9s}: {r["evaluated"]} '
                  f'candidates, best proxy val top-1 {r["best_score"]:.2f}',
                  flush=True)
        accs = list(pool.map(
            lambda r: retrain(f'{r["kind"]}_seed{r["seed"]}', r,
                              osp.join(args.work_dir, 'retrain'), [],
                              args.dataset),
            results))
    for r, acc in zip(results, accs):
        r['retrained_test_top1'] = acc
    from gml.utils.fileio import atomic_dump_json
    atomic_dump_json(results, osp.join(args.work_dir, 'compare.json'))
    print('\n| search | seeds | candidates each | best proxy val top-1 per '
          'seed | mean ± std | its retrained test top-1 per seed | '
          'mean ± std |')
    print('|---|---|---|---|---|---|---|')
    for kind in CONFIGS:
        rows = [r for r in results if r['kind'] == kind]
        bests = [r['best_score'] for r in rows]
        accs = [r['retrained_test_top1'] for r in rows]
        print(f'| {kind} | {len(rows)} | {rows[0]["evaluated"]} | '
              f'{", ".join(f"{b:.2f}" for b in bests)} | '
              f'{spread(bests)} | '
              f'{", ".join(f"{a:.2f}" for a in accs)} | '
              f'{spread(accs)} |')


if __name__ == '__main__':
    main()
