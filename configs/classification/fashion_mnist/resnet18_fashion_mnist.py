# A small mmpretrain ResNet (ResNet_CIFAR-18, 16 base channels, stride 2 from
# the first stage: 28 -> 14 -> 7 -> 4 -> 2, 7.9 M MACs, 0.70 M params) on
# Fashion-MNIST: the unpruned model of configs/pruning/group/
# group_resnet18_fashion_mnist_f50.py and of tools/benchmark/group_pruning.py.
#   python tools/train.py configs/classification/fashion_mnist/resnet18_fashion_mnist.py
_base_ = [
    '../../_base_/datasets/fashion_mnist.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='mmpretrain.ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='ResNet_CIFAR', depth=18, in_channels=1,
                  stem_channels=16, base_channels=16, strides=(2, 2, 2, 2)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4,
                   nesterov=True))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, T_max=10,
         eta_min=1e-4, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=1)
val_cfg = dict()
test_cfg = dict()
