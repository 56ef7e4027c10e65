"""Export a QAT checkpoint as an int8 ONNX model (QDQ), or a float one.

    python tools/quantization/export.py CONFIG CKPT --out model.onnx
        [--float [--input-shape C H W]] [--cfg-options KEY=VALUE ...]

CONFIG is the QAT config the checkpoint was trained with. ``--float``
exports a float checkpoint (of CONFIG's float model, or of a plain
classifier config) as fp32 ONNX instead, for comparison. Evaluate either
with ``tools/test.py CONFIG model.onnx --backend onnxruntime``.
"""
import argparse
import json
import os.path as osp

from gml.utils.cli import OneLineErrorParser, fail


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='QAT config (or a classifier config '
                        'with --float)')
    parser.add_argument('checkpoint', help='QAT checkpoint (float with '
                        '--float)')
    parser.add_argument('--out', required=True, help='ONNX file to write')
    parser.add_argument('--float', action='store_true',
                        help='export a float checkpoint as fp32')
    parser.add_argument('--input-shape', nargs=3, type=int,
                        metavar=('C', 'H', 'W'),
                        help='input size; default: the QAT config\'s '
                        'input_shape')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE', help='override config entries')
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from gml.utils.cfg_options import ConfigError, parse_cfg_options
    try:
        for path, what in ((args.config, 'config file'),
                           (args.checkpoint, 'checkpoint')):
            if not osp.isfile(path):
                raise ConfigError(f'{what} {path!r} does not exist')
        from gml.utils.config import load_config
        cfg = load_config(args.config, parse_cfg_options(args.cfg_options))
        from gml.deploy import export_float, export_qat
        if args.float:
            summary = export_float(cfg, args.checkpoint, args.out,
                                   args.input_shape)
        else:
            summary = export_qat(cfg, args.checkpoint, args.out)
    except ConfigError as e:
        fail(str(e))
    print(f'wrote {args.out} ({summary["metadata"].get("kind")}, '
          f'{osp.getsize(args.out)} bytes): ops '
          + json.dumps(summary['ops'], sort_keys=True))


if __name__ == '__main__':
    main()
