# Morphism-first chain on Fashion-MNIST: the prune-first chain's float
# teacher (MobileNetV2 0.5x, 52 convolutions) -> KD into the model the
# morphism evolution found (7 convolutions, 76 K params) -> QAT -> int8 ONNX.
# Width pruning keeps every layer, and at batch 1 onnxruntime's time on
# these tiny inputs goes to layers, not MACs
# (tools/benchmark/ort_batch1_floor.py); this chain cuts depth instead.
#   python tools/compress.py configs/compress/morphism_first_fashion_mnist.py \
#       --work-dir work_dirs/compress/morphism_first_fashion_mnist
_base_ = ['./prune_first_mobilenetv2_fashion_mnist.py']

_M = 'configs/compress/models/'
stages = dict(
    _delete_=True,
    float={{_base_.stages.float}},
    kd=dict(type='distill', config=_M + 'kd_genotype_best_fashion_mnist.py',
            inputs={'algorithm.distiller.teacher': 'float.config',
                    'algorithm.distiller.teacher_ckpt': 'float.checkpoint'},
            # the distilled student alone, in its own config
            test_config=_M + 'genotype_best_fashion_mnist.py'),
    qat=dict(type='qat', config=_M + 'qat_genotype_best_fashion_mnist.py',
             inputs={'model.float_checkpoint': 'kd.checkpoint'}),
    int8=dict(type='export', config=_M + 'qat_genotype_best_fashion_mnist.py',
              inputs=dict(checkpoint='qat.checkpoint')))
