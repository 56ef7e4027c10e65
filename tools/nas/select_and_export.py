"""Finish a Pareto search: retrain K front members, pick one, export ONNX.

    python tools/nas/select_and_export.py SEARCH_WORK_DIR SUBNET_CONFIG \
        --work-dir OUT [--k 3] [--latency-budget MS] \
        [--final-epochs N] [--launcher {local,slurm}] [--partition P] \
        [--cfg-options ...]

1. From SEARCH_WORK_DIR/pareto_front.csv, the K front members with the best
   search score among those whose ``latency_ms`` is within the budget.
2. Each is retrained with the ordinary subnet config and tools:
   ``tools/train.py SUBNET_CONFIG --cfg-options
   algorithm.mutable_cfg=SEARCH_WORK_DIR/pareto_front/candidate_ID.yaml``
   (one after the other), or ``sh tools/slurm_train.sh PARTITION ...``
   (all at once; GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS as for that
   script). A member whose retraining already finished is not rerun.
3. The rule: the best final validation score (``--score-key``) after
   retraining (ties: the lower latency, then the lower id).
4. With ``--final-epochs N``, the chosen subnet is trained once more from
   scratch for N epochs (POPNAS's final training; the schedule follows
   ``train_cfg.max_epochs``) in OUT/final_ID, and that model is exported.
5. The chosen model (normalization + network, dynamic batch) is exported to
   OUT/model.onnx and run by onnxruntime on a batch of validation images;
   its outputs must match PyTorch's within ``--atol``. Its batch-1 CPU
   latency in PyTorch and in onnxruntime is printed too.
OUT/selection.json records all of it; a table is printed.
"""
import argparse
import csv
import glob
import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from gml.utils.errors import ConfigError  # noqa: E402
from gml.apis.cli import OneLineErrorParser, fail  # noqa: E402


def parse_args(argv=None):
    p = OneLineErrorParser(description=__doc__.split('\n')[0])
    p.add_argument('search_dir', help='work dir of a Pareto search')
    p.add_argument('subnet_config', help='retraining config of a subnet '
                   '(takes algorithm.mutable_cfg)')
    p.add_argument('--work-dir', required=True)
    p.add_argument('--k', type=int, default=3,
                   help='front members to retrain (default 3)')
    p.add_argument('--latency-budget', type=float, default=None,
                   metavar='MS', help='only members with latency_ms <= MS')
    p.add_argument('--score-key', default='accuracy/top1')
    p.add_argument('--final-epochs', type=int, default=None, metavar='N',
                   help='train the chosen subnet again for N epochs and '
                   'export that model')
    p.add_argument('--launcher', choices=['local', 'slurm'],
                   default='local')
    p.add_argument('--partition', help='Slurm partition (--launcher slurm)')
    p.add_argument('--atol', type=float, default=1e-4,
                   help='largest |onnxruntime - PyTorch| allowed on logits')
    p.add_argument('--cfg-options', nargs='+', default=[],
                   help='passed to every retraining')
    args = p.parse_args(argv)
    if args.k < 1:
        fail(f'--k must be >= 1, got {args.k}')
    if args.final_epochs is not None and args.final_epochs < 1:
        fail(f'--final-epochs must be >= 1, got {args.final_epochs}')
    if args.launcher == 'slurm' and not args.partition:
        fail('--launcher slurm needs --partition')
    if not osp.isfile(args.subnet_config):
        fail(f'subnet config {args.subnet_config!r} does not exist')
    return args


def read_front(search_dir):
    path = osp.join(search_dir, 'pareto_front.csv')
    if not osp.isfile(path):
        fail(f'{path} does not exist: SEARCH_WORK_DIR must be the work dir '
             'of a finished gml.ParetoSearchLoop search')
    with open(path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        fail(f'{path} has no front member')
    for key in ('id', 'score'):
        if key not in rows[0]:
            fail(f'{path}: no {key!r} column (found {list(rows[0])})')
    return path, [_numbers(row, path) for row in rows]


_INT_COLUMNS = ('id', 'generation')
_FLOAT_COLUMNS = ('score', 'flops_M', 'params_M', 'latency_ms')


def _numbers(row, path):
    """A csv row with its numeric columns as numbers (selection.json
    stores numbers, not strings); an empty cell is None. The subnet's
    choice columns (op names) stay strings."""
    out = {}
    for key, value in row.items():
        numeric = (key in _INT_COLUMNS or key in _FLOAT_COLUMNS
                   or key.startswith('predicted_'))
        if not numeric or not isinstance(value, str):
            out[key] = value
        elif value == '':
            out[key] = None
        else:
            try:
                out[key] = (int(value) if key in _INT_COLUMNS
                            else float(value))
            except ValueError:
                fail(f'{path}: column {key!r} holds {value!r}, expected a '
                     'number')
    return out


def choose_members(rows, k, budget, path):
    """The ``k`` best-scored members within the latency budget."""
    if budget is not None:
        if rows[0].get('latency_ms') is None:
            fail(f'{path} has no latency_ms column: --latency-budget needs a '
                 'search with latency_ms among its objectives')
        within = [r for r in rows if float(r['latency_ms']) <= budget]
        if not within:
            fastest = min(float(r['latency_ms']) for r in rows)
            fail(f'--latency-budget {budget} ms: no front member in {path} '
                 f'is that fast (the fastest takes {fastest:.3f} ms)')
        rows = within
    rows = sorted(rows, key=lambda r: (-float(r['score']), _latency(r),
                                       r['id']))
    return rows[:k]


def _latency(row):
    value = row.get('latency_ms')
    return 0.0 if value is None else value


def train_commands(args, member, yaml_path, work_dir, extra=()):
    opts = [f'algorithm.mutable_cfg={yaml_path}', *args.cfg_options, *extra]
    if args.launcher == 'slurm':
        return ['sh', osp.join(ROOT, 'tools/slurm_train.sh'),
                args.partition, f'select_{member["id"]}', args.subnet_config,
                work_dir, '--cfg-options', *opts]
    return [sys.executable, osp.join(ROOT, 'tools/train.py'),
            args.subnet_config, '--work-dir', work_dir, '--cfg-options',
            *opts]


def final_metrics(work_dir, score_key):
    """``(score, checkpoint)`` of a finished retraining, else ``None``: the
    last validation's ``score_key`` and the last checkpoint."""
    last = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(last):
        return None
    with open(last) as f:
        ckpt = f.read().strip()
    score, step = None, -1
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data',
                                   'scalars.json')):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if score_key in rec and rec.get('step', 0) >= step:
                    score, step = rec[score_key], rec.get('step', 0)
    if score is None or not osp.isfile(ckpt):
        return None
    return float(score), ckpt


def retrain(args, members, prefix='candidate', extra=()):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        x for x in (ROOT, os.environ.get('PYTHONPATH')) if x))
    jobs = []
    for m in members:
        m['work_dir'] = osp.abspath(osp.join(args.work_dir,
                                             f'{prefix}_{m["id"]}'))
        if final_metrics(m['work_dir'], args.score_key) is not None:
            print(f'[skip] candidate {m["id"]}: retrained in '
                  f'{m["work_dir"]}', flush=True)
            continue
        os.makedirs(m['work_dir'], exist_ok=True)
        cmd = train_commands(args, m, m['yaml'], m['work_dir'], extra)
        log = open(osp.join(m['work_dir'], 'retrain.log'), 'w')
        print(f'[run ] candidate {m["id"]}: {" ".join(cmd)}', flush=True)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        jobs.append((m, proc, log))
        if args.launcher == 'local':  # one at a time on this machine
            proc.wait()
    for m, proc, log in jobs:
        proc.wait()
        log.close()
        if proc.returncode != 0:
            fail(f'retraining candidate {m["id"]} failed (exit '
                 f'{proc.returncode}); see {m["work_dir"]}/retrain.log')
    for m in members:
        result = final_metrics(m['work_dir'], args.score_key)
        if result is None:
            fail(f'candidate {m["id"]}: no {args.score_key!r} validation or '
                 f'checkpoint in {m["work_dir"]} (does the subnet config '
                 'validate?)')
        m['retrained_score'], m['checkpoint'] = result


def export(args, chosen):
    """Build the chosen subnet from its config and checkpoint, export it,
    compare onnxruntime with PyTorch on validation images."""
    import torch
    from mmengine.runner import Runner

    from gml.deploy import (DeployableClassifier, compare_with_onnxruntime,
                            export_onnx)
    from gml.engine.estimators.latency import cpu_latencies_ms
    from mmengine.registry import DefaultScope

    from gml.registry import MODELS
    from gml.utils.checkpoint import (check_state_dict_fits,
                                      load_checkpoint_file, state_dict_of)
    from gml.config.overrides import parse_cfg_options
    from gml.config.loading import load_config
    try:
        options = parse_cfg_options(args.cfg_options)
        options['algorithm.mutable_cfg'] = chosen['yaml']
        cfg = load_config(args.subnet_config, options)
    except ConfigError as e:
        fail(str(e))
    DefaultScope.get_instance('select_and_export',
                              scope_name=cfg.get('default_scope', 'gml'))
    model = MODELS.build(dict(cfg.model,
                              data_preprocessor=cfg.get('data_preprocessor')))
    state = state_dict_of(load_checkpoint_file(chosen['checkpoint']))
    check_state_dict_fits(model, state, chosen['checkpoint'])
    model.load_state_dict(state)
    deploy = DeployableClassifier.from_model(model).eval()
    loader = Runner.build_dataloader(dict(cfg.val_dataloader, num_workers=0))
    batch = next(iter(loader))
    inputs = torch.stack([x.float() for x in batch['inputs']])
    path = osp.join(args.work_dir, 'model.onnx')
    export_onnx(deploy, tuple(inputs.shape[1:]), path)
    check = compare_with_onnxruntime(deploy, path, inputs)
    check['atol'] = args.atol
    # batch 1, as the search's latency table (when it was measured on CPU)
    latency = cpu_latencies_ms(deploy, path, inputs[:1])
    return path, check, latency


def main(argv=None):
    args = parse_args(argv)
    front_csv, rows = read_front(args.search_dir)
    members = choose_members(rows, args.k, args.latency_budget, front_csv)
    for m in members:
        m['yaml'] = osp.abspath(osp.join(args.search_dir, 'pareto_front',
                                         f'candidate_{m["id"]}.yaml'))
        if not osp.isfile(m['yaml']):
            fail(f'{m["yaml"]} does not exist (front member {m["id"]} of '
                 f'{front_csv})')
    os.makedirs(args.work_dir, exist_ok=True)
    retrain(args, members)
    chosen = min(members, key=lambda m: (-m['retrained_score'],
                                         _latency(m), m['id']))
    final = None
    if args.final_epochs:
        final = dict(id=chosen['id'], yaml=chosen['yaml'])
        retrain(args, [final], 'final',
                [f'train_cfg.max_epochs={args.final_epochs}'])
        final['epochs'] = args.final_epochs
    onnx_path, check, latency = export(args, final or chosen)
    summary = dict(
        search_dir=osp.abspath(args.search_dir), k=args.k,
        latency_budget_ms=args.latency_budget, score_key=args.score_key,
        rule='best retrained score within the latency budget',
        members=[{k: m.get(k) for k in (
            'id', 'score', 'latency_ms', 'flops_M', 'params_M',
            'retrained_score', 'yaml', 'checkpoint')} for m in members],
        chosen=chosen['id'],
        final=None if final is None else {k: final[k] for k in (
            'epochs', 'retrained_score', 'checkpoint', 'work_dir')},
        onnx=osp.abspath(onnx_path),
        onnxruntime_check=check, cpu_latency_batch1=latency)
    from gml.engine.estimators.latency import format_latency
    from gml.utils.fileio import atomic_dump_json
    atomic_dump_json(summary, osp.join(args.work_dir, 'selection.json'))
    print('\n| id | search score | latency_ms | MFLOPs | retrained '
          f'{args.score_key} | chosen |')
    print('|---|---|---|---|---|---|')
    for m in members:
        print(f'| {m["id"]} | {m["score"]} | {m.get("latency_ms", "")} | '
              f'{m.get("flops_M", "")} | {m["retrained_score"]:.2f} | '
              f'{"*" if m is chosen else ""} |')
    if final is not None:
        print(f'\nfinal training of candidate {chosen["id"]}, '
              f'{final["epochs"]} epochs: {args.score_key} '
              f'{final["retrained_score"]:.2f} ({final["work_dir"]})')
    ok = check['max_abs_diff'] <= args.atol
    print(f'\nexported candidate {chosen["id"]} to {onnx_path}; '
          f'onnxruntime vs PyTorch on {check["batch"]} validation images: '
          f'max |diff| {check["max_abs_diff"]:.2e} (atol {args.atol}), '
          f'argmax agreement {100 * check["argmax_agreement"]:.1f} %')
    print(f'CPU latency, batch 1 ({latency["clock"]} clock, '
          f'{latency["rounds"]} interleaved rounds; in brackets the fastest '
          f'and slowest round): PyTorch {format_latency(latency["pytorch"])}'
          f', onnxruntime {format_latency(latency["onnxruntime"])} (search '
          f'table: {chosen.get("latency_ms") or "-"} ms)')
    if not ok:
        print(f'{osp.basename(sys.argv[0])}: error: onnxruntime outputs '
              f'differ from PyTorch by {check["max_abs_diff"]:.2e} > atol '
              f'{args.atol}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
