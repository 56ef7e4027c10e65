# The morphism-first chain with the morphism evolution's *seed* genotype as
# the student (configs/nas/morphism/seed_genotype_fashion_mnist.yaml: a stem,
# a 3x3 conv and one residual block, 5 convolutions, 24.5 K params, 1.89
# MMACs): the student that tools/benchmark/ort_batch1_floor.py times at
# about 6x the teacher's speed at batch 1. KD runs 30 epochs, not the
# chain's 15: at 15 this small student ended 1.01 points below the teacher
# and QAT's 3 more epochs still added 0.35 (configs/compress/README.md).
#   python tools/compress.py configs/compress/morphism_first_seed_fashion_mnist.py \
#       --work-dir work_dirs/compress/morphism_first_seed_fashion_mnist
_base_ = ['./morphism_first_fashion_mnist.py']

_SEED = dict(genotype='configs/nas/morphism/seed_genotype_fashion_mnist.yaml')
stages = dict(
    kd=dict(options=dict(algorithm=dict(model=dict(backbone=_SEED)),
                         train_cfg=dict(max_epochs=30, val_interval=10)),
            test_options=dict(model=dict(backbone=_SEED))),
    qat=dict(options=dict(model=dict(model=dict(backbone=_SEED)))),
    int8=dict(options=dict(model=dict(model=dict(backbone=_SEED)))))
# Batch 1 here is ~40 us: a median of 7 rounds x 5 calls moved the same
# int8 graph's speed-up between 4.65x and 5.41x across three idle runs;
# 21 x 10 kept three seeds within 5.42-5.51x.
measure = dict(rounds=21, repeats=10, warmup=3)
