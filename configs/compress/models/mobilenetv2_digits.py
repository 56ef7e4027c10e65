# The float MobileNetV2 (width 0.5) the prune-first chain starts from and
# distils from, on the embedded digits: the network DMCP prunes
# (configs/pruning/dmcp/dmcp_mobilenetv2_digits_f50.py: no stride in the
# stem, strides only where the map is >= 4x4) at its full widths.
_base_ = [
    '../../_base_/datasets/digits.py',
    '../../_base_/schedules/digits_bs32_10e.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='mmpretrain.ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='gml.MobileNetV2Slice', widen_factor=0.5,
                  last_channels=256, stem_stride=1,
                  strides=(1, 1, 2, 2, 1, 2, 1)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=256,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
              topk=(1, )))
default_hooks = dict(checkpoint=dict(save_best=None, max_keep_ckpts=1))
