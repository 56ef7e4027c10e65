# Search-first chain on Fashion-MNIST (1x28x28; val: 5,000 held-out training
# images, test: the 10,000 test images):
#   SPOS supernet -> evolution search -> retrain the best subnet (the float
#   teacher) -> group pruning (50 % FLOPs, round_to 8) -> KD from the float
#   teacher -> QAT -> int8 ONNX (deploy/model_int8.onnx)
#   python tools/compress.py \
#       configs/compress/search_first_spos_fashion_mnist.py \
#       --work-dir work_dirs/compress/search_first_fashion_mnist
input_shape = (1, 28, 28)
measure = dict(rounds=7, repeats=5, warmup=3)
_M = 'configs/compress/models/'
_SPOS = 'configs/nas/spos/'
_PRETRAINED = dict(type='Pretrained')  # its checkpoint is wired
stages = dict(
    supernet=dict(
        type='train',
        config=_SPOS + 'spos_shufflenetv2_supernet_fashion_mnist.py'),
    search=dict(type='search',
                config=_SPOS +
                'spos_shufflenetv2_evolution_search_fashion_mnist.py',
                inputs=dict(checkpoint='supernet.checkpoint')),
    float=dict(type='retrain',
               config=_SPOS + 'spos_shufflenetv2_subnet_fashion_mnist.py',
               inputs={'algorithm.mutable_cfg': 'search.subnet'}),
    prune=dict(type='prune',
               config=_M + 'group_spos_subnet_fashion_mnist.py',
               options=dict(algorithm=dict(model=dict(
                   init_cfg=_PRETRAINED))),
               inputs={'algorithm.model.mutable_cfg': 'search.subnet',
                       'algorithm.model.init_cfg.checkpoint':
                       'float.checkpoint'}),
    kd=dict(type='distill',
            config=_M + 'kd_group_spos_subnet_fashion_mnist.py',
            options=dict(algorithm=dict(model=dict(init_cfg=_PRETRAINED))),
            inputs={'algorithm.model.model.mutable_cfg': 'search.subnet',
                    'algorithm.model.pruning_spec': 'prune.pruning_spec',
                    'algorithm.model.init_cfg.checkpoint': 'prune.checkpoint',
                    'algorithm.distiller.teacher': 'float.config',
                    'algorithm.distiller.teacher_ckpt': 'float.checkpoint'},
            # the student alone: the pruned subnet in the pruning config
            test_config=_M + 'group_spos_subnet_fashion_mnist.py',
            test_inputs={'algorithm.model.mutable_cfg': 'search.subnet',
                         'algorithm.pruning_spec': 'prune.pruning_spec'}),
    qat=dict(type='qat', config=_M + 'qat_group_spos_subnet_fashion_mnist.py',
             inputs={'algorithm.model.model.mutable_cfg': 'search.subnet',
                     'algorithm.model.pruning_spec': 'prune.pruning_spec',
                     'algorithm.float_checkpoint': 'kd.checkpoint'}),
    int8=dict(type='export',
              config=_M + 'qat_group_spos_subnet_fashion_mnist.py',
              inputs={'checkpoint': 'qat.checkpoint',
                      'algorithm.model.model.mutable_cfg': 'search.subnet',
                      'algorithm.model.pruning_spec': 'prune.pruning_spec'}),
)
