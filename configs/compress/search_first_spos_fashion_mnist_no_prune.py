# Ablation of search_first_spos_fashion_mnist.py without pruning (and so
# without KD, which distils into the pruned student): the retrained float
# subnet goes straight to QAT and int8 ONNX.
_base_ = ['./search_first_spos_fashion_mnist.py']

_QAT = 'configs/compress/models/qat_spos_subnet_fashion_mnist.py'
stages = dict(
    _delete_=True,
    supernet={{_base_.stages.supernet}},
    search={{_base_.stages.search}},
    float={{_base_.stages.float}},
    qat=dict(type='qat', config=_QAT,
             inputs={'algorithm.model.mutable_cfg': 'search.subnet',
                     'algorithm.float_checkpoint': 'float.checkpoint'}),
    int8=dict(type='export', config=_QAT,
              inputs={'checkpoint': 'qat.checkpoint',
                      'algorithm.model.mutable_cfg': 'search.subnet'}))
