# The student trained alone (the baseline): the teacher's ResNet-18 layout
# with 4 instead of 16 base channels (~1/16 of its parameters).
_base_ = [
    '../../../_base_/datasets/digits.py',
    '../../../_base_/schedules/digits_bs32_10e.py',
    '../../../_base_/default_runtime.py',
]

model = dict(
    type='mmpretrain.ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=4,
                  base_channels=4),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=32,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
