"""How candidate scoring scales: ranks, score modes, and dispatched jobs.

    python tools/benchmark/search_scaling.py [--generations 2]
        [--candidates 8] [--chunk-size 4] [--project-candidates 50]

Runs the search users run (``tools/search.py`` and ``tools/dist_search.sh``
on the digits SPOS search config, a randomly initialised supernet) and
reads the loop's per-generation timing lines:

1. candidates scored per second with 1 and 2 workers (gloo ranks) in
   ``score_mode='candidates'`` and ``'data'``;
2. the per-candidate cost split into BN recalibration and validation
   (measured in this process) and the gather/reduce overheads (from the
   2-worker runs), and from them a projection to N workers for a
   population of ``--project-candidates``;
3. a chunk of ``--chunk-size`` candidates dispatched as one Slurm job
   (submitit; local processes when there is no Slurm) against the same
   chunk scored in the search process.

Every worker runs one CPU thread. On a shared machine the timings are taken
under load: compare figures from one run only.
"""
import argparse
import math
import os
import os.path as osp
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
CONFIG = osp.join(
    ROOT, 'configs/nas/spos/spos_shufflenetv2_evolution_search_digits.py')
GEN_LINE = re.compile(r'Generation \d+: scored (\d+) candidates in '
                      r'([\d.]+) s \([\d.]+/s; slowest rank ([\d.]+) s, '
                      r'gather ([\d.]+) s\)')
CHUNK_LINE = re.compile(r'by (slurm|local) job \S+ in ([\d.]+) s\)')


def make_checkpoint(config, path):
    import torch

    from gml.registry import MODELS
    from gml.config.loading import load_config
    cfg = load_config(config)
    torch.manual_seed(0)
    model = MODELS.build(dict(cfg.model,
                              data_preprocessor=cfg.data_preprocessor))
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)


def run_search(args, ckpt, work_dir, workers, *opts):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable,
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH',
                                                            ''),
               PORT=str(20000 + os.getpid() % 20000))
    common = [f'train_cfg.max_epochs={args.generations}',
              f'train_cfg.num_candidates={args.candidates}',
              f'train_cfg.num_mutation={args.candidates // 4}',
              f'train_cfg.num_crossover={args.candidates // 4}',
              'train_cfg.top_k=2']
    tail = ['--work-dir', work_dir, '--cfg-options', *common, *opts]
    if workers == 1:
        cmd = [sys.executable, 'tools/search.py', args.config, ckpt, *tail]
    else:
        cmd = ['bash', 'tools/dist_search.sh', args.config, ckpt,
               str(workers), *tail]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                          text=True)
    wall = time.perf_counter() - start
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        sys.exit(f'search failed ({" ".join(cmd)}):\n{out[-3000:]}')
    gens = [(int(n), float(t), float(s), float(g))
            for n, t, s, g in GEN_LINE.findall(out)]
    chunks = [float(t) for _, t in CHUNK_LINE.findall(out)]
    return dict(gens=gens, chunks=chunks, wall=wall)


def rate(gens):
    return sum(g[0] for g in gens) / sum(g[1] for g in gens)


def cost_split(config, repeats=6):
    """Seconds per candidate: BN recalibration, validation (one thread)."""
    import random

    import torch
    from mmengine.evaluator import Evaluator
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    from gml.engine.scoring.candidate_scorer import (cache_batches, evaluate,
                                                    recalibrate_bn)
    from gml.registry import MODELS
    from gml.config.loading import load_config
    torch.set_num_threads(1)
    cfg = load_config(config)
    model = MODELS.build(dict(cfg.model,
                              data_preprocessor=cfg.data_preprocessor))
    scope = DefaultScope.get_instance('search_scaling', scope_name='gml')
    with DefaultScope.overwrite_default_scope(scope.scope_name):
        calib = cache_batches(Runner.build_dataloader(
            cfg.train_dataloader, seed=0), cfg.train_cfg.calibrate_batches)
        val = Runner.build_dataloader(cfg.val_dataloader)
        evaluator = Evaluator(cfg.val_evaluator)
    rng, t_cal, t_val = random.Random(0), [], []
    for _ in range(repeats):
        model.mutator.set_choices(model.mutator.sample_choices(rng))
        start = time.perf_counter()
        recalibrate_bn(model, calib)
        middle = time.perf_counter()
        evaluate(model, val, evaluator, gather=False)
        t_cal.append(middle - start)
        t_val.append(time.perf_counter() - middle)
    return statistics.median(t_cal), statistics.median(t_val)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default=CONFIG)
    p.add_argument('--generations', type=int, default=2)
    p.add_argument('--candidates', type=int, default=8)
    p.add_argument('--chunk-size', type=int, default=4)
    p.add_argument('--project-candidates', type=int, default=50)
    args = p.parse_args()
    tmp = tempfile.mkdtemp(prefix='search_scaling_')
    try:
        ckpt = osp.join(tmp, 'supernet.pth')
        make_checkpoint(args.config, ckpt)
        runs = {}
        for mode in ('candidates', 'data'):
            for workers in (1, 2):
                runs[mode, workers] = run_search(
                    args, ckpt, osp.join(tmp, f'{mode}{workers}'), workers,
                    f'train_cfg.score_mode={mode}')
        cluster = 'slurm' if shutil.which('sbatch') else 'local'
        dispatched = run_search(
            args, ckpt, osp.join(tmp, 'dispatched'), 1,
            f"train_cfg.executor=dict(type='{cluster}', "
            f'chunk_size={args.chunk_size}, max_parallel=1, '
            'timeout_min=30)')
        t_cal, t_val = cost_split(args.config)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    n = args.candidates * args.generations
    print(f'\nsearch_scaling: {osp.relpath(args.config, ROOT)}, '
          f'{args.generations} generations x {args.candidates} candidates, '
          'random supernet, 1 CPU thread per worker, '
          f'{os.cpu_count()} cores (timings under whatever load the '
          'machine has)\n')
    print(f'{"mode":<11} {"workers":>7} {"cand/s":>8} {"s/cand":>8} '
          f'{"gather s/gen":>13} {"tool wall s":>12}')
    for (mode, workers), r in runs.items():
        gather = statistics.mean(g[3] for g in r['gens'])
        print(f'{mode:<11} {workers:>7} {rate(r["gens"]):>8.2f} '
              f'{1 / rate(r["gens"]):>8.3f} {gather:>13.4f} '
              f'{r["wall"]:>12.1f}')
    # every generation logged; the evolution skips subnets scored before,
    # so a run may score fewer than generations x candidates
    for key, r in runs.items():
        assert len(r['gens']) == args.generations, f'{key}: {r["gens"]}'
    print('candidates scored per run: ' + ', '.join(
        f'{mode}/{workers}: {sum(g[0] for g in r["gens"])}'
        for (mode, workers), r in runs.items()) + f' (of {n} proposed)')

    # -- projection --
    t1 = 1 / rate(runs['candidates', 1]['gens'])
    gather = statistics.mean(g[3] for g in runs['candidates', 2]['gens'])
    data2 = 1 / rate(runs['data', 2]['gens'])
    reduce = max(0.0, data2 - (t_cal + t_val / 2))  # per candidate
    c = args.project_candidates
    print(f'\nper candidate (in process, 1 thread): BN recalibration '
          f'{t_cal:.3f} s + validation {t_val:.3f} s; measured end to end '
          f'{t1:.3f} s')
    print(f'overheads: candidates mode gathers {gather * 1000:.1f} ms per '
          f'generation; data mode reduces {reduce * 1000:.1f} ms per '
          'candidate (2 workers)')
    print(f'\nprojection, {c} candidates per generation (candidates: '
          'ceil(C/N) x s/cand + gather; data: recalibration + validation/N '
          '+ reduce, per candidate):')
    print(f'{"workers":>7} {"candidates cand/s":>18} {"data cand/s":>12}')
    for workers in (1, 2, 4, 8, 16, 32, 64):
        cand = c / (math.ceil(c / workers) * t1 + (gather if workers > 1
                                                    else 0.0))
        data = 1 / (t_cal + t_val / workers + (reduce if workers > 1
                                               else 0.0))
        print(f'{workers:>7} {cand:>18.2f} {data:>12.2f}')

    # -- dispatch overhead --
    chunk_wall = statistics.mean(dispatched['chunks'])
    here = args.chunk_size * t1
    print(f'\ndispatching a chunk of {args.chunk_size} candidates as one '
          f'{cluster} job (submitit, {len(dispatched["chunks"])} chunks, one '
          f'at a time): {chunk_wall:.1f} s from submission to result, vs '
          f'{here:.2f} s scored in the search process: {chunk_wall - here:.1f}'
          ' s overhead per job (queueing, Python + torch start-up, loading '
          'the scoring context)')
    print(f'dispatched search: {rate(dispatched["gens"]):.2f} cand/s end to '
          'end at max_parallel=1')


if __name__ == '__main__':
    main()
