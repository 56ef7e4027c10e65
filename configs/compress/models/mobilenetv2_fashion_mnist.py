# The float MobileNetV2 (width 0.5) the prune-first chain starts from and
# distils from, on Fashion-MNIST (1x28x28): the network DMCP prunes
# (configs/pruning/dmcp/dmcp_mobilenetv2_fashion_mnist_f50.py) at its full
# widths. A stride-2 stem, as the Fashion-MNIST SPOS supernet has: stage maps
# 14, 14, 7, 4, 4, 2, 2.
#   python tools/train.py configs/compress/models/mobilenetv2_fashion_mnist.py
_base_ = [
    '../../_base_/datasets/fashion_mnist.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='mmpretrain.ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='gml.MobileNetV2Slice', widen_factor=0.5,
                  last_channels=256, in_channels=1, stem_stride=2,
                  strides=(1, 1, 2, 2, 1, 2, 1)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=256,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
              topk=(1, )))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4,
                   nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-4,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=8)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(interval=100),
                     checkpoint=dict(save_best=None, max_keep_ckpts=1))
