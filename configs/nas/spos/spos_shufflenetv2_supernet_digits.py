# SPOS supernet on the embedded digits (8x8): a narrow ShuffleNetV2 search
# space with a stride-1 stem and no max-pool, trained a few epochs on CPU.
_base_ = [
    '../../_base_/datasets/digits.py',
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
        strides=(1, 2, 2, 1),  # 8x8 -> 8, 4, 2, 2
        zero_init_branch=True,
        norm_cfg=norm_cfg),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
mutator = dict(type='gml.StateslessMutator')
algorithm = dict(type='gml.SPOS', model=model, mutator=mutator)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=4e-5,
                   nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, eta_min=1e-3,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=16, val_interval=4)
# validate/test the supernet on its default path (every block's first
# candidate, BN statistics re-estimated on 8 training batches) rather than
# on whatever path was sampled last
val_cfg = dict(type='gml.SubnetValLoop', subnet='default',
               calibrate_batches=8)
test_cfg = dict(type='gml.SubnetTestLoop', subnet='default',
                calibrate_batches=8)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=4, max_keep_ckpts=1, save_best=None))
find_unused_parameters = True  # only one path gets gradients
