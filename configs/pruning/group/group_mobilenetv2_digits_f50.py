# Group pruning of mmpretrain's MobileNetV2 (width 0.5) on the embedded digits
# to 50 % of its FLOPs, one-shot (pruned before epoch 0), then fine-tuned:
#   python tools/train.py configs/pruning/group/group_mobilenetv2_digits_f50.py
_base_ = [
    '../../_base_/datasets/digits.py',
    '../../_base_/schedules/digits_bs32_10e.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='gml.GroupPruning',
    model=dict(
        type='mmpretrain.ImageClassifier',
        data_preprocessor={{_base_.data_preprocessor}},
        backbone=dict(type='mmpretrain.MobileNetV2', widen_factor=0.5),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=1280,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
                  topk=(1, ))),
    input_shape=(1, 3, 8, 8),
    target_flops=0.5,
    importance='l1',
    round_to=None,
    prune_epochs=[0],
)
custom_hooks = [dict(type='gml.GroupPruningHook')]
