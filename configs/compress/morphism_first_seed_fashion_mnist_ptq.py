# Ablation of morphism_first_seed_fashion_mnist.py with PTQ instead of QAT:
# the distilled 5-conv student is calibrated (tools/quantization/ptq.py, 32
# batches) and written as int8 ONNX directly.
_base_ = ['./morphism_first_seed_fashion_mnist.py']

stages = dict(
    _delete_=True,
    float={{_base_.stages.float}},
    kd={{_base_.stages.kd}},
    int8=dict(type='ptq', config={{_base_.stages.int8.config}},
              inputs=dict(checkpoint='kd.checkpoint'),
              options={{_base_.stages.int8.options}}))
