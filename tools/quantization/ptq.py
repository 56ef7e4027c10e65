"""Post-training quantization: calibrate a float checkpoint, write int8 ONNX.

    python tools/quantization/ptq.py CONFIG FLOAT_CKPT [--out ptq.onnx]
        [--calib-batches 32] [--seed 0] [--input-shape C H W]
        [--cfg-options KEY=VALUE ...]

CONFIG is a QAT config (its float model, quantizer and input_shape are
used) or a plain classifier config (then ``--input-shape`` is needed).
Observers see ``--calib-batches`` shuffled training batches, preprocessed
like the test split; no weight is trained. Evaluate the result with
``tools/test.py CONFIG ptq.onnx --backend onnxruntime``.
"""
import argparse
import json
import os.path as osp

from gml.utils.cli import OneLineErrorParser, fail


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='QAT or classifier config')
    parser.add_argument('checkpoint', help='the trained float model')
    parser.add_argument('--out', default='ptq.onnx', help='ONNX file to '
                        'write (default: ptq.onnx)')
    parser.add_argument('--calib-batches', type=int, default=32,
                        help='training batches to calibrate on (default 32,'
                        ' as torchvision\'s PTQ recipe)')
    parser.add_argument('--seed', type=int, default=0,
                        help='shuffling of the calibration batches')
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
                           (args.checkpoint, 'FLOAT_CKPT')):
            if not osp.isfile(path):
                raise ConfigError(f'{what} {path!r} does not exist')
        from gml.utils.config import load_config
        cfg = load_config(args.config, parse_cfg_options(args.cfg_options))
        from gml.deploy import quantize_ptq
        summary = quantize_ptq(cfg, args.checkpoint, args.out,
                               args.calib_batches, args.seed,
                               args.input_shape)
    except ConfigError as e:
        fail(str(e))
    print(f'calibrated on {summary["calib_batches"]} batches; wrote '
          f'{args.out} ({osp.getsize(args.out)} bytes): ops '
          + json.dumps(summary['ops'], sort_keys=True))


if __name__ == '__main__':
    main()
