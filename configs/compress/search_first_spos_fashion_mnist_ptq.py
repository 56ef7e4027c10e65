# Ablation of search_first_spos_fashion_mnist.py with PTQ instead of QAT:
# the distilled, pruned student is calibrated (tools/quantization/ptq.py,
# 32 batches) and written as int8 ONNX directly.
_base_ = ['./search_first_spos_fashion_mnist.py']

_QAT = 'configs/compress/models/qat_group_spos_subnet_fashion_mnist.py'
stages = dict(
    _delete_=True,
    supernet={{_base_.stages.supernet}},
    search={{_base_.stages.search}},
    float={{_base_.stages.float}},
    prune={{_base_.stages.prune}},
    kd={{_base_.stages.kd}},
    int8=dict(type='ptq', config=_QAT,
              inputs={'checkpoint': 'kd.checkpoint',
                      'algorithm.model.model.mutable_cfg': 'search.subnet',
                      'algorithm.model.pruning_spec': 'prune.pruning_spec'}))
