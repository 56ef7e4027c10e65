"""Evolution vs random search at an equal number of evaluated candidates.

    python tools/benchmark/nas_search_compare.py SUPERNET_CKPT \
        [--seeds 0 1 2] [--budget GENERATIONS CANDIDATES]
        [--work-dir work_dirs/nas_search_compare] [--cfg-options ...]

Runs tools/search.py with the digits evolution and random search configs
(same budget: max_epochs x num_candidates) once per seed and prints the
best validation top-1 (supernet weights, BN recalibrated) of each.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = {
    'evolution':
    'configs/nas/spos/spos_shufflenetv2_evolution_search_digits.py',
    'random': 'configs/nas/spos/spos_shufflenetv2_random_search_digits.py',
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('checkpoint')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--work-dir', default='work_dirs/nas_search_compare')
    p.add_argument('--budget', type=int, nargs=2, metavar=('GENERATIONS',
                                                           'CANDIDATES'),
                   help='override the configs\' max_epochs/num_candidates '
                   '(evolution: 3/8 of the candidates mutants, 3/8 '
                   'crossovers)')
    p.add_argument('--cfg-options', nargs='+', default=[])
    args = p.parse_args()
    budget = {k: [] for k in CONFIGS}
    if args.budget:
        gens, cands = args.budget
        for k in CONFIGS:
            budget[k] = [f'train_cfg.max_epochs={gens}',
                         f'train_cfg.num_candidates={cands}']
        budget['evolution'] += [f'train_cfg.num_mutation={cands * 3 // 8}',
                                f'train_cfg.num_crossover={cands * 3 // 8}']
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        x for x in (ROOT, os.environ.get('PYTHONPATH')) if x))
    results = {k: [] for k in CONFIGS}
    for seed in args.seeds:
        for kind, config in CONFIGS.items():
            wd = osp.join(args.work_dir, f'{kind}_seed{seed}')
            state = osp.join(wd, 'search_state.json')
            if not osp.isfile(osp.join(wd, 'best_subnet.yaml')):
                cmd = [sys.executable, osp.join(ROOT, 'tools/search.py'),
                       osp.join(ROOT, config), args.checkpoint,
                       '--work-dir', wd, '--cfg-options',
                       f'randomness.seed={seed}', *budget[kind],
                       *args.cfg_options]
                subprocess.run(cmd, cwd=ROOT, env=env, check=True,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            with open(state) as f:
                records = json.load(f)['records']
            best = max(r['score'] for r in records)
            results[kind].append((seed, len(records), best))
            print(f'seed {seed} {kind:9s}: {len(records)} candidates, best '
                  f'val top-1 {best:.2f}', flush=True)
    print('\n| search | seeds | candidates each | best val top-1 per seed '
          '| mean |')
    print('|---|---|---|---|---|')
    for kind, rows in results.items():
        bests = [b for _, _, b in rows]
        print(f'| {kind} | {len(rows)} | {rows[0][1]} | '
              f'{", ".join(f"{b:.2f}" for b in bests)} | '
              f'{statistics.mean(bests):.2f} |')


if __name__ == '__main__':
    main()
