# Float MobileNetV2 1.0x on ImageNet-1k (mmpretrain's recipe: 8 x 32,
# SGD 0.045, 300 epochs in mmpretrain; here the shared 8xb256 schedule):
# the prune-first ImageNet chain's start and teacher. Or start from
# mmpretrain's checkpoint with a stage of type 'checkpoint'.
_base_ = [
    '../../_base_/datasets/imagenet_bs32.py',
    '../../_base_/schedules/imagenet_bs256.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='mmpretrain.ImageClassifier',
    backbone=dict(type='MobileNetV2', widen_factor=1.0),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=1280,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
              topk=(1, 5)))
