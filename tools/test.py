"""Evaluate a checkpoint on the config's test set.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.json]
        [--cfg-options KEY=VALUE ...] [--launcher ...] [--eval METRIC ...]

``CHECKPOINT`` may be ``WORK_DIR/latest.pth`` (resolved through mmengine's
``last_checkpoint``); it must fit the model completely. ``--eval`` (the old
toolbox's option: ``accuracy``, ``bbox``...) sets the metric the test
evaluator computes.
"""
import argparse
import json

from gml.utils.checkpoint import check_checkpoint_file
from gml.utils.cli import (OneLineErrorParser, ToolSession, add_common_args,
                           parse_args, setup_launcher)
from gml.utils.eval_metrics import METRICS, metric_names


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(description='Test a checkpoint')
    add_common_args(parser)
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='also write the metrics to this JSON')
    parser.add_argument(
        '--eval', nargs='+', metavar='METRIC',
        help='metric(s) the test evaluator computes, old-toolbox names: '
        + ', '.join(METRICS))
    return parser


def main(argv=None):
    args = parse_args(build_parser(), argv)
    with ToolSession(args) as session:
        checkpoint = check_checkpoint_file(args.checkpoint)
        if args.eval:
            args.eval = metric_names(args.eval, '--eval')
        cfg = session.load_config()
        cfg.load_from = checkpoint
        if args.eval:
            session.set_evaluator('test_evaluator', args.eval)
        setup_launcher(cfg, args.launcher, args.local_rank)
        runner = session.build_runner(checkpoint_fit='all')
        metrics = runner.test()

    from gml.utils.fileio import atomic_dump_json
    metrics = {k: float(v) if hasattr(v, '__float__') else v
               for k, v in metrics.items()}
    if runner.rank == 0:
        print('Test metrics: ' + json.dumps(metrics, sort_keys=True))
        if args.out:
            atomic_dump_json(metrics, args.out)


if __name__ == '__main__':
    main()
