# Ablation of prune_first_mobilenetv2_fashion_mnist.py without pruning (and
# so without KD, which distils into the pruned student): the float
# MobileNetV2 goes straight to QAT and int8 ONNX.
_base_ = ['./prune_first_mobilenetv2_fashion_mnist.py']

_QAT = 'configs/compress/models/qat_mobilenetv2_fashion_mnist.py'
stages = dict(
    _delete_=True,
    float={{_base_.stages.float}},
    qat=dict(type='qat', config=_QAT,
             inputs={'model.float_checkpoint': 'float.checkpoint'}),
    int8=dict(type='export', config=_QAT,
              inputs=dict(checkpoint='qat.checkpoint')))
