# The teacher: an mmpretrain ResNet-18 (CIFAR stem, 16 base channels) on the
# embedded digits. Train it first; the distillation configs read its
# work dir from ${TEACHER_WORK_DIR}.
_base_ = [
    '../../../_base_/datasets/digits.py',
    '../../../_base_/schedules/digits_bs32_10e.py',
    '../../../_base_/default_runtime.py',
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
