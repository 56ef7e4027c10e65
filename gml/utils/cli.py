"""Shared command-line plumbing of ``tools/train.py|test.py|search.py``."""
import argparse
import os
import sys
from typing import List, Optional

from mmengine.config import Config

from .cfg_options import ConfigError, parse_cfg_options
from .config import load_config


def fail(message: str, prog: Optional[str] = None) -> None:
    """Print a one-line error and exit with code 2 (usage error)."""
    prog = prog or os.path.basename(sys.argv[0])
    print(f'{prog}: error: {message}', file=sys.stderr)
    sys.exit(2)


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage block), exit code 2."""

    def error(self, message: str):
        fail(message, self.prog)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
        help='override config entries, e.g. train_cfg.max_epochs=1 '
        'model.head.num_classes=10 algorithm.mutable_cfg=subnet.yaml')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_cli_config(args: argparse.Namespace) -> Config:
    """Load ``args.config`` with ``args.cfg_options``; exit 2 on bad input."""
    try:
        cfg = load_config(args.config, parse_cfg_options(args.cfg_options))
    except ConfigError as e:
        fail(str(e))
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        name = os.path.splitext(os.path.basename(args.config))[0]
        cfg.work_dir = os.path.join('./work_dirs', name)
    return cfg


def setup_launcher(cfg: Config, launcher: str, local_rank: int = 0) -> None:
    """Prepare ``cfg`` for ``launcher`` on CUDA or CPU-only machines."""
    import torch

    from .dist import init_dist
    os.environ.setdefault('LOCAL_RANK', str(local_rank))
    cfg.launcher = launcher
    if launcher == 'none':
        return
    backend = init_dist(launcher)
    env_cfg = cfg.setdefault('env_cfg', {})
    env_cfg.setdefault('dist_cfg', {})['backend'] = backend
    if not torch.cuda.is_available():
        # mmengine passes device_ids=[LOCAL_RANK] to DDP, which CPU modules
        # reject; an explicit None wins over its default.
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel', broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        wrapper['device_ids'] = None
        cfg.model_wrapper_cfg = wrapper


def build_cli_runner(cfg: Config):
    """The config's Runner; bad input found while building (a ConfigError,
    e.g. a subnet file naming a layer that does not exist) is a one-line
    error with exit code 2, like bad input found before."""
    from gml.engine.runner import build_runner
    try:
        return build_runner(cfg)
    except ConfigError as e:
        fail(str(e))


def parse_args(parser: argparse.ArgumentParser,
               argv: Optional[List[str]] = None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if not os.path.isfile(args.config):
        fail(f'config file {args.config!r} does not exist', parser.prog)
    return args
