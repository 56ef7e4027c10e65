# Ablation of prune_first_mobilenetv2_fashion_mnist.py with PTQ instead of
# QAT: the distilled student is calibrated (tools/quantization/ptq.py, 32
# batches) and written as int8 ONNX directly.
_base_ = ['./prune_first_mobilenetv2_fashion_mnist.py']

stages = dict(
    _delete_=True,
    float={{_base_.stages.float}},
    dmcp={{_base_.stages.dmcp}},
    kd={{_base_.stages.kd}},
    int8=dict(type='ptq', config={{_base_._QAT}},
              inputs={'checkpoint': 'kd.checkpoint',
                      'algorithm.model.mutable_cfg': 'dmcp.subnet'}))
