# A plain mmpretrain classifier on the embedded digits: the smoke test of
# gml's tools (trains to ~97 % in under a minute on 2 CPU cores).
_base_ = [
    '../../_base_/datasets/digits.py',
    '../../_base_/schedules/digits_bs32_10e.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='mmpretrain.ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=16,
                  base_channels=16),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
