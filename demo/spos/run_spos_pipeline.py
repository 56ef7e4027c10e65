"""The SPOS pipeline end to end on the embedded digits or Fashion-MNIST.

    python demo/spos/run_spos_pipeline.py --work-dir work_dirs/spos_demo
    python demo/spos/run_spos_pipeline.py --dataset fashion_mnist \
        --work-dir work_dirs/spos_fashion_mnist

Runs, as subprocesses, exactly what a user runs, on the cluttered digits
(configs/_base_/datasets/cluttered_digits.py, the default) or on
Fashion-MNIST (configs/_base_/datasets/fashion_mnist.py; prepare it with
tools/dataset_converters/prepare_fashion_mnist.py):
  1. tools/train.py   supernet                       -> supernet/epoch_N.pth
  2. tools/test.py    supernet on its default path   -> supernet accuracy
  3. tools/search.py  evolution search               -> best_subnet.yaml
  4. tools/search.py  random search, same budget     -> its best subnet
  5. tools/train.py   retrain the evolution's best subnet from scratch
  6. tools/test.py    that subnet on the test split
  7. tools/train.py   retrain the random search's best subnet
  8. tools/test.py    that subnet on the test split
then prints a results table (also written to WORK_DIR/summary.md/json), so
both searches are judged on retrained accuracy, not only on their proxy
(supernet-weight) scores. A step whose result is already in WORK_DIR is
skipped (rerun with --force). Every step runs with --threads intra-op
threads (default 2), whatever OMP_NUM_THREADS says: CPU results depend on
the thread count (the reduction order changes), so the README's figures hold
for the count they were printed with, and the summary records it. On a busy
machine use --threads 1 (two threads per process were 6x slower there).
--search-options reach only the two searches (their scoring loader is
train_cfg.dataloader, e.g. train_cfg.dataloader.dataset.indices=200).
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
CFG = osp.join(ROOT, 'configs/nas/spos')
#: --dataset: the configs' suffix and the table's title
DATASETS = {
    'digits': ('digits', 'the cluttered embedded digits (16x16, 10 classes)'),
    'fashion_mnist': ('fashion_mnist', 'Fashion-MNIST (28x28, 10 classes; '
                      'scored on 5,000 val, tested on 10,000 test)'),
}
SHORT = {'shuffle_3x3': '3', 'shuffle_5x5': '5', 'shuffle_7x7': '7',
         'shuffle_xception': 'x', 'skip': 's'}


def configs(dataset):
    """The supernet, evolution, random and subnet configs of ``dataset``."""
    suffix = DATASETS[dataset][0]
    return [osp.join(CFG, f'spos_shufflenetv2_{kind}_{suffix}.py')
            for kind in ('supernet', 'evolution_search', 'random_search',
                         'subnet')]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', default='work_dirs/spos_demo')
    p.add_argument('--dataset', choices=sorted(DATASETS), default='digits')
    p.add_argument('--threads', type=int, default=2,
                   help='intra-op threads of every step (sets '
                   'OMP_NUM_THREADS; default 2, as the README figures were '
                   'printed). Figures move with it, so the summary records it')
    p.add_argument('--force', action='store_true',
                   help='rerun every step even if its result exists')
    p.add_argument('--cfg-options', nargs='+', default=[],
                   help='passed to every step, e.g. randomness.seed=1')
    p.add_argument('--search-options', nargs='+', default=[],
                   help='passed to the two searches only (after '
                   '--cfg-options), e.g. train_cfg.num_candidates=4')
    return p.parse_args()


def threads():
    """The thread count every step runs with (``main`` sets it from
    ``--threads``)."""
    return int(os.environ['OMP_NUM_THREADS'])


def run_step(title, args, log_path, done_file, force):
    if not force and osp.isfile(done_file):
        print(f'[skip] {title}: {done_file} exists')
        return
    print(f'[run ] {title} ... ', end='', flush=True)
    os.makedirs(osp.dirname(log_path), exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads()))
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (ROOT, env.get('PYTHONPATH')) if p)
    start = time.time()
    with open(log_path, 'w') as log:
        proc = subprocess.run([sys.executable] + args, cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0 or not osp.isfile(done_file):
        print('FAILED')
        with open(log_path) as f:
            sys.stderr.write(''.join(f.readlines()[-30:]))
        sys.exit(f'{title} failed (exit {proc.returncode}); full log: '
                 f'{log_path}')
    print(f'{time.time() - start:.0f} s  (log: {log_path})')


def last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def best_record(search_dir):
    with open(osp.join(search_dir, 'search_state.json')) as f:
        records = json.load(f)['records']
    best = sorted(records, key=lambda r: (-r['score'], r['id']))[0]
    return best, len(records)


def retrain_and_test(kind, subnet_yaml, re_dir, step, wd, tools, args):
    """Retrain ``subnet_yaml`` from scratch and test it; its test top-1."""
    SUBNET = configs(args.dataset)[3]
    sub_opts = ['--cfg-options', f'algorithm.mutable_cfg={subnet_yaml}',
                *args.cfg_options]
    run_step(f'{step}/8 retrain the {kind} search\'s best subnet',
             [f'{tools}/train.py', SUBNET, '--work-dir', re_dir, *sub_opts],
             osp.join(wd, f'logs/{step}_retrain_{kind}.log'),
             osp.join(re_dir, 'last_checkpoint'), args.force)
    metrics = osp.join(re_dir, 'test_metrics.json')
    run_step(f'{step + 1}/8 test it',
             [f'{tools}/test.py', SUBNET, last_checkpoint(re_dir),
              '--work-dir', re_dir, '--out', metrics, *sub_opts],
             osp.join(wd, f'logs/{step + 1}_retrain_{kind}_test.log'),
             metrics, args.force)
    with open(metrics) as f:
        return json.load(f)['accuracy/top1']


def main():
    start = time.time()
    args = parse_args()
    wd = osp.abspath(args.work_dir)
    if args.threads < 1:
        print(f'run_spos_pipeline.py: --threads: found {args.threads}, '
              'expected a count >= 1', file=sys.stderr)
        sys.exit(2)
    # the steps inherit it; torch sizes its intra-op pool from it
    os.environ['OMP_NUM_THREADS'] = str(args.threads)
    print(f'[gml demo] every step runs with {args.threads} threads (--threads)')
    opts = ['--cfg-options', *args.cfg_options] if args.cfg_options else []
    search_opts = (['--cfg-options', *args.cfg_options, *args.search_options]
                   if args.cfg_options or args.search_options else [])
    tools = osp.join(ROOT, 'tools')
    SUPERNET, EVOLUTION, RANDOM, _ = configs(args.dataset)

    sup_dir = osp.join(wd, 'supernet')
    run_step('1/8 train the supernet',
             [f'{tools}/train.py', SUPERNET, '--work-dir', sup_dir, *opts],
             osp.join(wd, 'logs/1_supernet_train.log'),
             osp.join(sup_dir, 'last_checkpoint'), args.force)
    sup_ckpt = last_checkpoint(sup_dir)
    sup_metrics = osp.join(sup_dir, 'test_metrics.json')
    run_step('2/8 test the supernet (default path)',
             [f'{tools}/test.py', SUPERNET, sup_ckpt, '--work-dir', sup_dir,
              '--out', sup_metrics, *opts],
             osp.join(wd, 'logs/2_supernet_test.log'), sup_metrics,
             args.force)
    evo_dir = osp.join(wd, 'search_evolution')
    run_step('3/8 evolution search',
             [f'{tools}/search.py', EVOLUTION, sup_ckpt, '--work-dir',
              evo_dir, *search_opts],
             osp.join(wd, 'logs/3_search_evolution.log'),
             osp.join(evo_dir, 'best_subnet.yaml'), args.force)
    rnd_dir = osp.join(wd, 'search_random')
    run_step('4/8 random search (same budget)',
             [f'{tools}/search.py', RANDOM, sup_ckpt, '--work-dir', rnd_dir,
              *search_opts],
             osp.join(wd, 'logs/4_search_random.log'),
             osp.join(rnd_dir, 'best_subnet.yaml'), args.force)
    retrained = {}
    for n, (kind, search_dir) in enumerate((('evolution', evo_dir),
                                            ('random', rnd_dir))):
        retrained[kind] = retrain_and_test(
            kind, osp.join(search_dir, 'best_subnet.yaml'),
            osp.join(wd, f'retrain_{kind}'), 5 + 2 * n, wd, tools, args)

    with open(sup_metrics) as f:
        sup_acc = json.load(f)['accuracy/top1']
    evo, n_evo = best_record(evo_dir)
    rnd, n_rnd = best_record(rnd_dir)
    summary = dict(
        dataset=args.dataset, threads=threads(),
        supernet_default_path_test_top1=sup_acc,
        evolution=dict(evaluated=n_evo, best_val_top1_supernet=evo['score'],
                       flops_M=evo['flops_M'], params_M=evo['params_M'],
                       retrained_test_top1=retrained['evolution'],
                       subnet=evo['subnet']),
        random=dict(evaluated=n_rnd, best_val_top1_supernet=rnd['score'],
                    flops_M=rnd['flops_M'], params_M=rnd['params_M'],
                    retrained_test_top1=retrained['random'],
                    subnet=rnd['subnet']))
    code = lambda s: ''.join(SHORT.get(c, '?') for c in s.values())  # noqa
    table = '\n'.join([
        '| | evaluated | val top-1 (supernet weights) | MFLOPs | '
        'params (M) | test top-1 after retraining | choices (3/5/7/x) |',
        '|---|---|---|---|---|---|---|',
        f'| supernet, default path | - | - | - | - | {sup_acc:.2f} '
        f'(supernet weights) | {"3" * len(evo["subnet"])} |',
        f'| evolution search best | {n_evo} | {evo["score"]:.2f} | '
        f'{evo["flops_M"]:.3f} | {evo["params_M"]:.4f} | '
        f'{retrained["evolution"]:.2f} | {code(evo["subnet"])} |',
        f'| random search best | {n_rnd} | {rnd["score"]:.2f} | '
        f'{rnd["flops_M"]:.3f} | {rnd["params_M"]:.4f} | '
        f'{retrained["random"]:.2f} | {code(rnd["subnet"])} |',
    ])
    from gml.utils.fileio import atomic_dump_json, atomic_write_text
    atomic_dump_json(summary, osp.join(wd, 'summary.json'))
    atomic_write_text(osp.join(wd, 'summary.md'), table + '\n')
    print(f'\nSPOS on {DATASETS[args.dataset][1]}:\n')
    print(table)
    print(f'\nwall time: {time.time() - start:.0f} s '
          f'({threads()} thread(s) per step)')
    print(f'best subnet: {evo_dir}/best_subnet.yaml\nplots: {evo_dir}/search_curve.png, '
          f'{evo_dir}/score_vs_flops.png\nsummary: {wd}/summary.json')


if __name__ == '__main__':
    main()
