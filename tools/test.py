"""Evaluate a checkpoint on the config's test set.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.json]
        [--cfg-options KEY=VALUE ...] [--launcher ...] [--eval METRIC ...]
    python tools/test.py CONFIG MODEL.onnx --backend onnxruntime [--out ...]

``CHECKPOINT`` may be ``WORK_DIR/latest.pth`` (resolved through mmengine's
``last_checkpoint``); it must fit the model completely. ``--eval`` (the old
toolbox's option: ``accuracy``, ``bbox``...) sets the metric the test
evaluator computes. ``--backend onnxruntime`` runs an ONNX model (e.g. int8
from ``tools/quantization/export.py``) with onnxruntime on CPU instead.
"""
import argparse
import json

import os.path as osp

from gml.utils.checkpoint import check_checkpoint_file
from gml.apis.cli import (OneLineErrorParser, ToolSession, add_common_args,
                           parse_args, setup_launcher)
from gml.utils.errors import UserError
from gml.config.legacy_metrics import METRICS, metric_names


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(description='Test a checkpoint')
    add_common_args(parser)
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='also write the metrics to this JSON')
    parser.add_argument(
        '--eval', nargs='+', metavar='METRIC',
        help='metric(s) the test evaluator computes, old-toolbox names: '
        + ', '.join(METRICS))
    parser.add_argument(
        '--backend', choices=['pytorch', 'onnxruntime'], default='pytorch',
        help='onnxruntime: CHECKPOINT is an ONNX model (e.g. int8 from '
        'tools/quantization/export.py), run by onnxruntime on CPU')
    return parser


def check_model_file(path: str, backend: str, launcher: str) -> str:
    """CHECKPOINT for ``--backend``: an ONNX model for onnxruntime (one
    process), a torch checkpoint for pytorch."""
    onnx = path.endswith('.onnx')
    if backend == 'pytorch':
        if onnx:
            raise UserError(f'{path!r} is an ONNX model: run it with '
                            '--backend onnxruntime')
        return check_checkpoint_file(path)
    if launcher != 'none':
        raise UserError('--backend onnxruntime runs in one process; drop '
                        f'--launcher {launcher}')
    if not onnx:
        raise UserError(f'{path!r}: --backend onnxruntime runs .onnx models'
                        ', --backend pytorch (default) runs checkpoints')
    if not osp.isfile(path):
        raise UserError(f'ONNX model {path!r} does not exist')
    return path


def main(argv=None):
    args = parse_args(build_parser(), argv)
    with ToolSession(args) as session:
        onnx = args.backend == 'onnxruntime'
        checkpoint = check_model_file(args.checkpoint, args.backend,
                                      args.launcher)
        if args.eval:
            args.eval = metric_names(args.eval, '--eval')
        cfg = session.load_config()
        if args.eval:
            session.set_evaluator('test_evaluator', args.eval)
        if onnx:
            from gml.deploy import evaluate_onnx
            metrics, rank = evaluate_onnx(cfg, checkpoint), 0
        else:
            cfg.load_from = checkpoint
            setup_launcher(cfg, args.launcher, args.local_rank)
            runner = session.build_runner(checkpoint_fit='all')
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
