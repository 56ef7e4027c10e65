"""What tools/quantization/{export,ptq}.py share: their arguments, and
running them under the tools' one error path (``ToolSession``: one line,
exit code 2, nothing written)."""
import argparse
import json
import os.path as osp
from typing import Callable, Dict

from gml.apis.cli import OneLineErrorParser, ToolSession


def build_parser(doc: str, checkpoint_help: str) -> argparse.ArgumentParser:
    """CONFIG CHECKPOINT [--input-shape C H W] [--cfg-options ...]; parse
    with ``gml.apis.cli.parse_args``."""
    parser = OneLineErrorParser(description=doc.splitlines()[0])
    parser.add_argument('config', help='QAT config, or a classifier config')
    parser.add_argument('checkpoint', help=checkpoint_help)
    parser.add_argument('--input-shape', nargs=3, type=int,
                        metavar=('C', 'H', 'W'),
                        help='input size; default: the QAT config\'s '
                        'input_shape')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE', help='override config entries')
    parser.set_defaults(work_dir=None)  # these tools write only --out
    return parser


def run(args: argparse.Namespace, action: Callable[..., Dict]) -> Dict:
    """``action(cfg)`` on the loaded config; bad input ends the tool."""
    from gml.utils.checkpoint import check_checkpoint_file
    with ToolSession(args) as session:
        args.checkpoint = check_checkpoint_file(args.checkpoint)
        return action(session.load_config())


def report(summary: Dict, out: str, prefix: str = '') -> None:
    """The tools' last line: what was written, its size and ops."""
    print(f'{prefix}wrote {out} ({summary["metadata"].get("kind")}, '
          f'{osp.getsize(out)} bytes): ops '
          + json.dumps(summary['ops'], sort_keys=True))
