# The morphism-first chain with the morphism evolution's *seed* genotype as
# the student (configs/nas/morphism/seed_genotype_fashion_mnist.yaml: a stem,
# a 3x3 conv and one residual block, 5 convolutions, 24.5 K params, 1.89
# MMACs): the student that tools/benchmark/ort_batch1_floor.py times at
# about 6x the teacher's speed at batch 1.
#   python tools/compress.py configs/compress/morphism_first_seed_fashion_mnist.py \
#       --work-dir work_dirs/compress/morphism_first_seed_fashion_mnist
_base_ = ['./morphism_first_fashion_mnist.py']

_SEED = dict(genotype='configs/nas/morphism/seed_genotype_fashion_mnist.yaml')
stages = dict(
    kd=dict(options=dict(algorithm=dict(model=dict(backbone=_SEED))),
            test_options=dict(model=dict(backbone=_SEED))),
    qat=dict(options=dict(model=dict(model=dict(backbone=_SEED)))),
    int8=dict(options=dict(model=dict(model=dict(backbone=_SEED)))))
