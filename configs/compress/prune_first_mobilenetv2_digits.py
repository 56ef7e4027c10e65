# Prune-first chain on the embedded digits (8x8):
#   float MobileNetV2 (the teacher) -> DMCP (search the widths, ~50 % FLOPs)
#   -> KD (retrain those widths, distilling the float teacher's logits)
#   -> QAT -> int8 ONNX (deploy/model_int8.onnx)
#   python tools/compress.py configs/compress/prune_first_mobilenetv2_digits.py \
#       --work-dir work_dirs/compress/prune_first_digits
# Every stage is an ordinary gml config; the pipeline only wires outputs.
input_shape = (3, 8, 8)
measure = dict(rounds=7, repeats=5, warmup=3)
_QAT = 'configs/quantization/qat/qat_dmcp_mobilenetv2_digits.py'
stages = dict(
    float=dict(type='train',
               config='configs/compress/models/mobilenetv2_digits.py'),
    dmcp=dict(type='dmcp',
              config='configs/pruning/dmcp/dmcp_mobilenetv2_digits_f50.py'),
    kd=dict(
        type='distill',
        config='configs/compress/models/kd_dmcp_mobilenetv2_digits.py',
        inputs={'algorithm.model.mutable_cfg': 'dmcp.subnet',
                'algorithm.distiller.teacher': 'float.config',
                'algorithm.distiller.teacher_ckpt': 'float.checkpoint'},
        # the distilled student alone, in its own config
        test_config='configs/pruning/dmcp/dmcp_mobilenetv2_digits_retrain.py',
        test_inputs={'algorithm.mutable_cfg': 'dmcp.subnet'}),
    qat=dict(type='qat', config=_QAT,
             inputs={'algorithm.model.mutable_cfg': 'dmcp.subnet',
                     'algorithm.float_checkpoint': 'kd.checkpoint'}),
    int8=dict(type='export', config=_QAT,
              inputs={'checkpoint': 'qat.checkpoint',
                      'algorithm.model.mutable_cfg': 'dmcp.subnet'}),
)
