"""Evaluate a checkpoint on the config's test set.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.json]
        [--cfg-options KEY=VALUE ...] [--launcher ...] [--eval accuracy]
    python tools/test.py CONFIG MODEL.onnx --backend onnxruntime [--out ...]
"""
import argparse
import json
import os.path as osp

from gml.utils.cli import (OneLineErrorParser, add_common_args,
                           build_cli_runner, fail, load_cli_config,
                           parse_args, setup_launcher)

#: ``--eval`` names of the old toolbox and the evaluator each stands for.
LEGACY_EVAL = {
    'accuracy': dict(type='mmpretrain.Accuracy', topk=(1, )),
    'bbox': dict(type='mmdet.CocoMetric', metric='bbox'),
}


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(description='Test a checkpoint')
    add_common_args(parser)
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='also write the metrics to this JSON')
    parser.add_argument(
        '--eval', nargs='+', choices=sorted(LEGACY_EVAL),
        help='old-toolbox style: use this metric when the config has no '
        'test_evaluator (the config\'s evaluator wins otherwise)')
    parser.add_argument(
        '--backend', choices=['pytorch', 'onnxruntime'], default='pytorch',
        help='onnxruntime: CHECKPOINT is an ONNX model (e.g. int8 from '
        'tools/quantization/export.py), run by onnxruntime on CPU')
    return parser


def main(argv=None):
    args = parse_args(build_parser(), argv)
    if not osp.isfile(args.checkpoint):
        fail(f'checkpoint {args.checkpoint!r} does not exist')
    cfg = load_cli_config(args)
    cfg.load_from = args.checkpoint
    if args.eval and not cfg.get('test_evaluator'):
        cfg.test_evaluator = [LEGACY_EVAL[name] for name in args.eval]
    if (args.backend == 'onnxruntime') != args.checkpoint.endswith('.onnx'):
        fail(f'{args.checkpoint!r}: --backend onnxruntime runs .onnx models'
             ', --backend pytorch (default) runs checkpoints')
    if args.backend == 'onnxruntime':
        from gml.deploy.onnxruntime_eval import evaluate_onnx_cli
        metrics, rank = evaluate_onnx_cli(cfg, args.checkpoint,
                                          args.launcher), 0
    else:
        setup_launcher(cfg, args.launcher, args.local_rank)
        runner = build_cli_runner(cfg)
        metrics, rank = runner.test(), runner.rank

    from gml.utils.fileio import atomic_dump_json
    metrics = {k: float(v) if hasattr(v, '__float__') else v
               for k, v in metrics.items()}
    if rank == 0:
        print('Test metrics: ' + json.dumps(metrics, sort_keys=True))
        if args.out:
            atomic_dump_json(metrics, args.out)


if __name__ == '__main__':
    main()
