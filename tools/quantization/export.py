"""Export a QAT checkpoint as an int8 ONNX model (QDQ), or a float one.

    python tools/quantization/export.py CONFIG CKPT --out model.onnx
        [--float [--input-shape C H W]] [--cfg-options KEY=VALUE ...]

CONFIG is the QAT config the checkpoint was trained with. ``--float``
exports a float checkpoint (of CONFIG's float model, or of a plain
classifier config) as fp32 ONNX instead, for comparison. Evaluate either
with ``tools/test.py CONFIG model.onnx --backend onnxruntime``.
"""
from gml.apis.deploy_tools import build_parser, report, run
from gml.apis.cli import parse_args


def main(argv=None):
    parser = build_parser(__doc__, 'QAT checkpoint (float with --float)')
    parser.add_argument('--out', required=True, help='ONNX file to write')
    parser.add_argument('--float', action='store_true',
                        help='export a float checkpoint as fp32')
    args = parse_args(parser, argv)

    def export(cfg):
        from gml.deploy import export_float, export_qat
        if args.float:
            return export_float(cfg, args.checkpoint, args.out,
                                args.input_shape)
        return export_qat(cfg, args.checkpoint, args.out)

    report(run(args, export), args.out)


if __name__ == '__main__':
    main()
