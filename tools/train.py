"""Train a model (or a gml algorithm) from a config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

``--resume`` alone continues from the work dir's newest checkpoint;
``--resume WORK_DIR/latest.pth`` (the old toolbox's name) resolves through
mmengine's ``last_checkpoint``.
"""
import argparse

from gml.utils.checkpoint import check_checkpoint_file
from gml.apis.cli import (OneLineErrorParser, ToolSession, add_common_args,
                           parse_args, setup_launcher)
from gml.utils.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(description='Train a model')
    add_common_args(parser)
    parser.add_argument(
        '--resume', nargs='?', const='auto', metavar='CKPT',
        help='resume from CKPT, or from the latest checkpoint in the work '
        'dir when no path is given')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (needs CUDA)')
    parser.add_argument('--no-validate', action='store_true',
                        help='skip validation during training')
    return parser


def main(argv=None):
    args = parse_args(build_parser(), argv)
    with ToolSession(args) as session:
        if args.resume not in (None, 'auto'):
            args.resume = check_checkpoint_file(args.resume, '--resume')
        cfg = session.load_config()
        if args.amp:
            import torch
            if not torch.cuda.is_available():
                raise UserError('--amp needs a CUDA device and none is '
                                'available')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        if args.resume == 'auto':
            cfg.resume, cfg.load_from = True, None
        elif args.resume is not None:
            cfg.resume, cfg.load_from = True, args.resume
        if args.no_validate:
            for key in ('val_cfg', 'val_dataloader', 'val_evaluator'):
                cfg[key] = None
        setup_launcher(cfg, args.launcher, args.local_rank)
        runner = session.build_runner(checkpoint_fit='most')
        runner.train()


if __name__ == '__main__':
    main()
