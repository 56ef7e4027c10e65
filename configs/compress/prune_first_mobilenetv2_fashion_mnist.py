# Prune-first chain on Fashion-MNIST (1x28x28; val: 5,000 held-out training
# images, test: the 10,000 test images):
#   float MobileNetV2 0.5x (the teacher, 8 epochs) -> DMCP (search the
#   widths, ~50 % FLOPs) -> KD (retrain those widths 8 epochs, distilling
#   the float teacher's logits) -> QAT (3 epochs) -> int8 ONNX
#   (deploy/model_int8.onnx)
#   python tools/compress.py \
#       configs/compress/prune_first_mobilenetv2_fashion_mnist.py \
#       --work-dir work_dirs/compress/prune_first_fashion_mnist
# Every stage is an ordinary gml config; the pipeline only wires outputs.
input_shape = (1, 28, 28)
measure = dict(rounds=7, repeats=5, warmup=3)
_DMCP = 'configs/pruning/dmcp/'
_QAT = 'configs/quantization/qat/qat_dmcp_mobilenetv2_fashion_mnist.py'
stages = dict(
    float=dict(type='train',
               config='configs/compress/models/mobilenetv2_fashion_mnist.py'),
    dmcp=dict(type='dmcp',
              config=_DMCP + 'dmcp_mobilenetv2_fashion_mnist_f50.py'),
    kd=dict(
        type='distill',
        config='configs/compress/models/kd_dmcp_mobilenetv2_fashion_mnist.py',
        inputs={'algorithm.model.mutable_cfg': 'dmcp.subnet',
                'algorithm.distiller.teacher': 'float.config',
                'algorithm.distiller.teacher_ckpt': 'float.checkpoint'},
        # the distilled student alone, in its own config
        test_config=_DMCP + 'dmcp_mobilenetv2_fashion_mnist_retrain.py',
        test_inputs={'algorithm.mutable_cfg': 'dmcp.subnet'}),
    qat=dict(type='qat', config=_QAT,
             inputs={'algorithm.model.mutable_cfg': 'dmcp.subnet',
                     'algorithm.float_checkpoint': 'kd.checkpoint'}),
    int8=dict(type='export', config=_QAT,
              inputs={'checkpoint': 'qat.checkpoint',
                      'algorithm.model.mutable_cfg': 'dmcp.subnet'}),
)
