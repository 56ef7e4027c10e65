"""Average the top-k models of a search into one model; test; export ONNX.

    python tools/nas/ensemble.py --morphism EVOLUTION_WORK_DIR --k 3 \
        --config configs/nas/morphism/morphism_evolution_digits.py \
        --work-dir OUT [--combine mean_logits|mean_probs] [--cfg-options ...]
    python tools/nas/ensemble.py --member CONFIG CHECKPOINT \
        --member CONFIG CHECKPOINT [...] --work-dir OUT

Members: the ``--k`` fittest models of a morphism evolution (its
``evolution.csv`` and ``models/``; each rebuilt by ``--config`` with its
genotype), or explicit config/checkpoint pairs (e.g. retrained SPOS or
Pareto subnets: a subnet config run with ``--cfg-options
algorithm.mutable_cfg=...`` saves the subnet into its checkpoint's config,
so pass the retraining work dir's dumped config).

OUT gets ``ensemble.py`` + ``ensemble.pth`` (a ``gml.EnsembleClassifier``
that ``tools/test.py`` tests like any model), ``ensemble.onnx`` (the
members' mean in one graph, as ``tools/quantization/export.py --float``
writes a float model: ``tools/test.py OUT/ensemble.py OUT/ensemble.onnx
--backend onnxruntime`` tests it) and ``ensemble.json``;
the table printed compares the ensemble's test top-1 (PyTorch and
onnxruntime) with each member's, with params.
"""
import csv
import glob
import json
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from gml.apis.cli import OneLineErrorParser, fail  # noqa: E402
from gml.utils.errors import UserError  # noqa: E402


def parse_args(argv=None):
    p = OneLineErrorParser(description=__doc__.split('\n')[0])
    p.add_argument('--morphism', metavar='WORK_DIR',
                   help='work dir of a morphism evolution')
    p.add_argument('--k', type=int, default=3,
                   help='fittest models to average (default 3)')
    p.add_argument('--config', help='with --morphism: the config that '
                   'builds its models (the evolution config)')
    p.add_argument('--member', nargs=2, action='append', default=[],
                   metavar=('CONFIG', 'CHECKPOINT'))
    p.add_argument('--combine', default='mean_logits',
                   choices=['mean_logits', 'mean_probs'])
    p.add_argument('--input-shape', type=int, nargs=3, metavar=('C', 'H', 'W'),
                   help='export size (default: the test split\'s)')
    p.add_argument('--work-dir', required=True)
    p.add_argument('--cfg-options', nargs='+', default=[],
                   help='applied to every member config')
    args = p.parse_args(argv)
    if bool(args.morphism) == bool(args.member):
        fail('give either --morphism WORK_DIR (with --config) or two or '
             'more --member CONFIG CHECKPOINT')
    if args.morphism and not args.config:
        fail('--morphism needs --config, the config that built its models '
             '(e.g. configs/nas/morphism/morphism_evolution_digits.py)')
    if args.morphism and args.k < 2:
        fail(f'--k must be >= 2 for an ensemble, got {args.k}')
    if args.member and len(args.member) < 2:
        fail(f'--member given {len(args.member)} time(s); an ensemble '
             'needs 2 or more')
    return args


def morphism_members(work_dir, k, config, out):
    """The ``k`` fittest models of an evolution: (name, config, options,
    checkpoint), their genotypes written to ``out/members/``."""
    from gml.structures.genotype import dump_genotype, load_genotype
    path = osp.join(work_dir, 'evolution.csv')
    if not osp.isfile(path):
        fail(f'{path} does not exist: --morphism takes the work dir of a '
             'morphism evolution (tools/search.py)')
    with open(path) as f:
        rows = list(csv.DictReader(f))
    if len(rows) < k:
        fail(f'{path} has {len(rows)} models; --k {k} needs at least {k}')
    # the fittest first, ties to the earlier model, as best_genotype.yaml
    rows.sort(key=lambda r: (-float(r['fitness']), int(r['id'])))
    members = []
    os.makedirs(osp.join(out, 'members'), exist_ok=True)
    for r in rows[:k]:
        metas = glob.glob(osp.join(work_dir, 'models',
                                   f'{r["name"]}*_meta.json'))
        if not metas:
            fail(f'{work_dir}/models has no metadata of model {r["name"]} '
                 f'(listed in {path})')
        with open(metas[0]) as f:
            meta = json.load(f)
        genotype = osp.join(out, 'members', f'{r["name"]}.yaml')
        dump_genotype(load_genotype(meta['genotype']), genotype)
        members.append(dict(name=r['name'], config=config,
                            options={'model.backbone.genotype': genotype},
                            checkpoint=meta['checkpoint'],
                            fitness=float(r['fitness'])))
    return members


def explicit_members(pairs):
    """``--member`` pairs, named after their checkpoints' folders (e.g.
    ``candidate_78``) where those differ, else ``member{i}``."""
    names = [osp.basename(osp.dirname(osp.abspath(p))) for _, p in pairs]
    if len(set(names)) != len(names):
        names = [f'member{i}' for i in range(len(pairs))]
    return [dict(name=n, config=c, options={}, checkpoint=p)
            for n, (c, p) in zip(names, pairs)]


def load_member(member, cfg_options):
    from gml.config.overrides import parse_cfg_options
    from gml.config.loading import load_config
    cfg = load_config(member['config'], parse_cfg_options(cfg_options))
    if str(cfg.model.get('type', '')).split('.')[-1] == 'NetworkMorphism':
        # an evolution config: its members are the algorithm's networks
        cfg.model = cfg.model.model
    cfg.merge_from_dict(member['options'])
    pre = cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor')
    return cfg, pre


def build_ensemble(members, cfgs, combine):
    """The ensemble config (the first member's with ``model`` replaced)
    and the model with every member's weights loaded."""
    import copy

    from gml.registry import MODELS
    from gml.utils.checkpoint import (check_state_dict_fits,
                                      load_checkpoint_file, state_dict_of)
    pres = [pre for _, pre in cfgs]
    for m, pre in zip(members[1:], pres[1:]):
        if pre != pres[0]:
            fail(f'member {m["name"]} ({m["config"]}): its data_preprocessor '
                 f'{dict(pre or {})} differs from the first member\'s '
                 f'{dict(pres[0] or {})}; the members of an ensemble see '
                 'one preprocessed batch')
    cfg = copy.deepcopy(cfgs[0][0])
    member_models = []
    for c, _ in cfgs:
        model = copy.deepcopy(c.model)
        model.pop('data_preprocessor', None)
        member_models.append(model)
    cfg.model = dict(type='gml.EnsembleClassifier', members=member_models,
                     combine=combine, data_preprocessor=pres[0])
    cfg.pop('data_preprocessor', None)
    cfg.load_from = None
    ensemble = MODELS.build(cfg.model)
    for m, module in zip(members, ensemble.members):
        state = state_dict_of(load_checkpoint_file(m['checkpoint']))
        state = {k: v for k, v in state.items()
                 if not k.startswith('data_preprocessor.')}
        check_state_dict_fits(module, state, m['checkpoint'])
        module.load_state_dict(state)
    return cfg, ensemble.eval()


def test_top1(cfg, checkpoint, work_dir):
    """``tools/test.py``'s metrics of ``cfg`` with ``checkpoint``."""
    import copy

    from gml.engine.runner import build_runner
    cfg = copy.deepcopy(cfg)
    cfg.work_dir, cfg.load_from = work_dir, checkpoint
    cfg.log_level = 'WARNING'
    cfg.experiment_name = osp.basename(work_dir)
    metrics = build_runner(cfg).test()
    return float(metrics['accuracy/top1'])


def params_of(module):
    return sum(p.numel() for p in module.parameters())


def main(argv=None):
    args = parse_args(argv)
    from gml.apis.cli import check_work_dir
    check_work_dir(args.work_dir)
    try:
        import torch

        from gml.deploy import evaluate_onnx, export_float
        from gml.utils.fileio import atomic_dump_json
        members = (morphism_members(args.morphism, args.k, args.config,
                                    args.work_dir) if args.morphism else
                   explicit_members(args.member))
        for m in members:
            if not osp.isfile(m['checkpoint']):
                fail(f'member {m["name"]}: checkpoint {m["checkpoint"]} does '
                     'not exist')
        cfgs = [load_member(m, args.cfg_options) for m in members]
        cfg, ensemble = build_ensemble(members, cfgs, args.combine)
        out = osp.abspath(args.work_dir)
        os.makedirs(out, exist_ok=True)  # every input checked by now
        cfg_path, ckpt = osp.join(out, 'ensemble.py'), osp.join(
            out, 'ensemble.pth')
        cfg.dump(cfg_path)
        torch.save({'state_dict': ensemble.state_dict(),
                    'meta': dict(members=members)}, ckpt)
        rows = []
        for m, (c, _), module in zip(members, cfgs, ensemble.members):
            top1 = test_top1(c, m['checkpoint'],
                             osp.join(out, 'test', m['name']))
            rows.append(dict(name=m['name'], top1=top1,
                             params=params_of(module),
                             checkpoint=m['checkpoint']))
        top1 = test_top1(cfg, ckpt, osp.join(out, 'test', 'ensemble'))
        # as tools/quantization/export.py --float writes any float model:
        # the preprocessed batch in, the mean scores out
        onnx_path = osp.join(out, 'ensemble.onnx')
        export_float(cfg, ckpt, onnx_path, args.input_shape or
                     _test_input_shape(cfg))
        ort_top1 = float(evaluate_onnx(cfg, onnx_path, 1)['accuracy/top1'])
    except UserError as e:
        fail(str(e))
    best = max(rows, key=lambda r: r['top1'])
    summary = dict(members=rows, combine=args.combine,
                   ensemble=dict(top1=top1, onnxruntime_top1=ort_top1,
                                 params=params_of(ensemble), config=cfg_path,
                                 checkpoint=ckpt, onnx=onnx_path),
                   gain_over_best_member=top1 - best['top1'])
    atomic_dump_json(summary, osp.join(out, 'ensemble.json'))
    print('| model | test top-1 | params |')
    print('|---|---|---|')
    for r in rows:
        print(f'| {r["name"]} | {r["top1"]:.2f} | {r["params"]:,} |')
    print(f'| ensemble of {len(rows)} ({args.combine}) | {top1:.2f} '
          f'(onnxruntime {ort_top1:.2f}) | {params_of(ensemble):,} |')
    print(f'ensemble vs best member ({best["name"]}): '
          f'{top1 - best["top1"]:+.2f} points; written to {out}')


def _test_input_shape(cfg):
    """(C, H, W) of the test split's first preprocessed batch."""
    from mmengine.runner import Runner

    from gml.deploy import build_float_model, config_scope
    with config_scope(cfg):
        model = build_float_model(cfg)
        loader = Runner.build_dataloader(dict(cfg.test_dataloader,
                                              num_workers=0))
        data = model.data_preprocessor(next(iter(loader)), False)
    return tuple(data['inputs'].shape[1:])


if __name__ == '__main__':
    main()
