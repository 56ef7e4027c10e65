# Train any genotype on Fashion-MNIST (28x28x1; 55,000 train, 5,000 val,
# 10,000 test; prepare it with
# tools/dataset_converters/prepare_fashion_mnist.py):
#   python tools/train.py configs/nas/morphism/genotype_fashion_mnist.py \
#       --cfg-options model.backbone.genotype=WORK_DIR/best_genotype.yaml
#   python tools/test.py configs/nas/morphism/genotype_fashion_mnist.py \
#       CKPT --cfg-options model.backbone.genotype=WORK_DIR/best_genotype.yaml
_base_ = [
    '../../_base_/datasets/fashion_mnist.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='gml.GenotypeClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='gml.GenotypeNet',
        genotype='{{fileDirname}}/seed_genotype_fashion_mnist.yaml',
        in_channels=1,
        stem_filters=16,
        stem_strides=2,  # 28x28 -> 14x14: 4x fewer FLOPs per block on CPU
        max_drop_rate=0.2),
    # in_channels follows the genotype
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4,
                   nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-4,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=15, val_interval=5)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(checkpoint=dict(max_keep_ckpts=1))
