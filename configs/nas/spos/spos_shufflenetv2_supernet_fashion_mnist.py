# SPOS supernet on Fashion-MNIST (28x28 grayscale; see
# configs/_base_/datasets/fashion_mnist.py): a narrow ShuffleNetV2 space of
# 12 choice blocks, stage maps 14, 7, 4, 4 after a stride-2 stem conv at
# 28x28, so 3x3 to 7x7 kernels see different extents in the first stages.
# (Stem stride 1, maps 28, 14, 7, 7, trains 2.9x slower per step on 2 CPU
# threads, 0.23 vs 0.08 s per batch of 128, and the pipeline then does not
# fit 45 minutes; see configs/nas/spos/README.md.) Each block picks one of 3x3, 5x5, 7x7,
# xception, and, where it keeps the shape (8 of the 12 blocks), 'skip'
# (identity): 4^4 x 5^8 = 1.0e8 subnets of 74 K to 134 K params, so the
# search's 0.1 M params limit binds. Prepare the data first:
#   python tools/dataset_converters/prepare_fashion_mnist.py
#   python tools/train.py configs/nas/spos/spos_shufflenetv2_supernet_fashion_mnist.py
_base_ = [
    '../../_base_/datasets/fashion_mnist.py',
    '../../_base_/default_runtime.py',
]

norm_cfg = dict(type='BN')
model = dict(
    type='mmcls.ImageClassifier',
    backbone=dict(
        type='gml.ShuffleNetV2_OneShot',
        in_channels=1,
        widen_factor=0.25,  # stages 16/40/80/160 wide
        stem_channels=16,
        stem_stride=2,
        stem_pool=False,
        last_channels=256,
        stage_blocks=(2, 4, 4, 2),
        strides=(1, 2, 2, 1),  # 28x28 -> 14, 7, 4, 4
        choices=('shuffle_3x3', 'shuffle_5x5', 'shuffle_7x7',
                 'shuffle_xception', 'skip'),
        # shared 1x1 projections: a supernet trains in a few epochs (see
        # the digits config and configs/nas/spos/README.md)
        share_projections=True,
        norm_cfg=norm_cfg),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=256,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original', loss_weight=1.0),
        topk=(1, )),
)
mutator = dict(type='gml.StateslessMutator')
algorithm = dict(type='gml.SPOS', model=model, mutator=mutator)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=4e-5,
                   nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       bypass_duplicate=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, eta_min=1e-3,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=10)
# val/test on the default path (every block's 3x3), BN re-estimated
val_cfg = dict(type='gml.SubnetValLoop', subnet='default',
               calibrate_batches=8)
test_cfg = dict(type='gml.SubnetTestLoop', subnet='default',
                calibrate_batches=8)
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=5, max_keep_ckpts=1, save_best=None))
find_unused_parameters = True  # only one path gets gradients
