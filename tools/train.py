"""Train a model (or a gml algorithm) from a config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]
"""
import argparse
import os.path as osp

from gml.utils.cli import (OneLineErrorParser, add_common_args,
                           build_cli_runner, fail, load_cli_config,
                           parse_args, setup_launcher)


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
    if args.resume not in (None, 'auto') and not osp.isfile(args.resume):
        fail(f'--resume: checkpoint {args.resume!r} does not exist')
    cfg = load_cli_config(args)
    if args.amp:
        import torch
        if not torch.cuda.is_available():
            fail('--amp needs a CUDA device and none is available')
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

    runner = build_cli_runner(cfg)
    runner.train()


if __name__ == '__main__':
    main()
