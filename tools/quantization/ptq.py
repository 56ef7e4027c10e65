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
from gml.apis.deploy_tools import build_parser, report, run
from gml.apis.cli import parse_args


def main(argv=None):
    parser = build_parser(__doc__, 'the trained float model')
    parser.add_argument('--out', default='ptq.onnx', help='ONNX file to '
                        'write (default: ptq.onnx)')
    parser.add_argument('--calib-batches', type=int, default=32,
                        help='training batches to calibrate on (default 32,'
                        ' as torchvision\'s PTQ recipe)')
    parser.add_argument('--seed', type=int, default=0,
                        help='shuffling of the calibration batches')
    args = parse_args(parser, argv)

    def ptq(cfg):
        from gml.deploy import quantize_ptq
        return quantize_ptq(cfg, args.checkpoint, args.out,
                            args.calib_batches, args.seed, args.input_shape)

    summary = run(args, ptq)
    report(summary, args.out,
           f'calibrated on {summary["calib_batches"]} batches; ')


if __name__ == '__main__':
    main()
