"""What tools/quantization/{export,ptq}.py share: arguments, config
loading and their one error path (one line, exit code 2)."""
import argparse
import os.path as osp
from typing import Callable, Dict

from gml.utils.cli import OneLineErrorParser, fail


def build_parser(doc: str, checkpoint_help: str) -> argparse.ArgumentParser:
    """CONFIG CHECKPOINT [--input-shape C H W] [--cfg-options ...]."""
    parser = OneLineErrorParser(description=doc.splitlines()[0])
    parser.add_argument('config', help='QAT config, or a classifier config')
    parser.add_argument('checkpoint', help=checkpoint_help)
    parser.add_argument('--input-shape', nargs=3, type=int,
                        metavar=('C', 'H', 'W'),
                        help='input size; default: the QAT config\'s '
                        'input_shape')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE', help='override config entries')
    return parser


def run(args: argparse.Namespace, action: Callable[..., Dict]) -> Dict:
    """``action(cfg)`` on the loaded config; bad input ends the tool."""
    from gml.utils.cfg_options import ConfigError, parse_cfg_options
    try:
        for path, what in ((args.config, 'config file'),
                           (args.checkpoint, 'checkpoint')):
            if not osp.isfile(path):
                raise ConfigError(f'{what} {path!r} does not exist')
        from gml.utils.config import load_config
        cfg = load_config(args.config, parse_cfg_options(args.cfg_options))
        return action(cfg)
    except ConfigError as e:
        fail(str(e))
