# Train any genotype on the embedded digits (8x8):
#   python tools/train.py configs/nas/morphism/genotype_digits.py \
#       --cfg-options model.backbone.genotype=WORK_DIR/best_genotype.yaml
_base_ = [
    '../../_base_/datasets/digits.py',
    '../../_base_/schedules/digits_bs32_10e.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='gml.GenotypeClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='gml.GenotypeNet',
        genotype='{{fileDirname}}/seed_genotype_digits.yaml',
        stem_filters=16,
        stem_strides=1,  # 8x8 inputs: no stem downsampling
        max_drop_rate=0.2),
    # in_channels follows the genotype
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
optim_wrapper = dict(optimizer=dict(lr=0.05))
default_hooks = dict(checkpoint=dict(max_keep_ckpts=1))
