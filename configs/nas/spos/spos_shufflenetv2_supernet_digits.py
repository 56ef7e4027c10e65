# SPOS supernet on the embedded digits, cluttered 16x16 (see
# configs/_base_/datasets/cluttered_digits.py): a narrow ShuffleNetV2 space
# of 5 choice blocks (4^5 = 1,024 subnets) with stage maps 16, 8, 4, 4, so
# 3x3, 5x5, 7x7 and xception units see different extents. 10 epochs on CPU.
#   python tools/train.py configs/nas/spos/spos_shufflenetv2_supernet_digits.py
_base_ = [
    '../../_base_/datasets/cluttered_digits.py',
    '../../_base_/default_runtime.py',
]

norm_cfg = dict(type='BN')
model = dict(
    type='mmcls.ImageClassifier',
    backbone=dict(
        type='gml.ShuffleNetV2_OneShot',
        widen_factor=0.25,  # stages 16/40/80/160 wide
        stem_channels=16,
        stem_stride=1,
        stem_pool=False,
        last_channels=128,
        stage_blocks=(1, 1, 2, 1),
        strides=(1, 2, 2, 1),  # 16x16 -> 16, 8, 4, 4
        # candidates share their 1x1 projections so that a few hundred
        # steps train the supernet (SPOS's separate ones: 34 % val after
        # 1,600 steps, shared: 89 %; see configs/nas/spos/README.md)
        share_projections=True,
        norm_cfg=norm_cfg),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original', loss_weight=1.0),
        topk=(1, )),
)
mutator = dict(type='gml.StateslessMutator')
algorithm = dict(type='gml.SPOS', model=model, mutator=mutator)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=4e-5,
                   nesterov=True),
    # shared projections are reached through several candidates: add each
    # parameter to the optimizer once
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       bypass_duplicate=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, eta_min=1e-3,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=5)
# validate/test the supernet on its default path (every block's first
# candidate, BN statistics re-estimated on 8 training batches) rather than
# on whatever path was sampled last
val_cfg = dict(type='gml.SubnetValLoop', subnet='default',
               calibrate_batches=8)
test_cfg = dict(type='gml.SubnetTestLoop', subnet='default',
                calibrate_batches=8)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=5, max_keep_ckpts=1, save_best=None))
find_unused_parameters = True  # only one path gets gradients
