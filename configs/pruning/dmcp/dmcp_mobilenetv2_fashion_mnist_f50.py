# DMCP on Fashion-MNIST (1x28x28): prune a half-width MobileNetV2 to ~50 %
# of its FLOPs. The width search reads the first 20,000 of the 55,000
# training images (4 epochs: one of weight warm-up, three with the
# architecture step), to fit a 2-core CPU; the retraining
# (dmcp_mobilenetv2_fashion_mnist_retrain.py) uses all of them. The search
# exports work_dir/model_sample/subnet.{npy,yaml}.
#   python tools/train.py \
#       configs/pruning/dmcp/dmcp_mobilenetv2_fashion_mnist_f50.py
_base_ = [
    '../../_base_/datasets/fashion_mnist.py',
    '../../_base_/default_runtime.py',
]

# as configs/compress/models/mobilenetv2_fashion_mnist.py, the float network
backbone = dict(
    type='gml.MobileNetV2Slice',
    search_space=dict(min_ratio=0.2, max_ratio=1.0, step=0.1),
    widen_factor=0.5,
    last_channels=256,
    in_channels=1,
    stem_stride=2,
    strides=(1, 1, 2, 2, 1, 2, 1))

model = dict(
    type='gml.ImageClassifierSearch',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=backbone,
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='gml.LinearClsHead_WithFLOPs',
        num_classes=10,
        in_channels=256,
        # the unpruned network costs 6.02 MFLOPs at 1x28x28: target 50 %
        floss_cfg=dict(
            input_size=(1, 28, 28),
            target_flops=3.01,
            floss_type='log_l1',
            flop_loss_weight=1.0),
        distill_cfg=dict(
            temperature=1, distill_weight=1, distill_softlable=False),
        topk=(1, ),
        cal_acc=True))

customed_mutator = dict(type='gml.DMCPChannelMutator', init_last_prob=0.5)

algorithm = dict(
    type='gml.DMCP',
    model=model,
    algorithm_cfg=dict(
        arch_start_train=157,  # after one epoch (20,000 / 128) of warm-up
        arch_train_freq=1,
        arch_sample_num=2),
    mutator=customed_mutator,
    distill_iter=157)

train_dataloader = dict(dataset=dict(indices=20000))
optim_wrapper = dict(
    constructor='gml.SeparateOptimWrapperConstructor',
    architecture=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4,
                       nesterov=True)),
    mutator=dict(optimizer=dict(type='Adam', lr=0.02, betas=(0.5, 0.999))))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, T_max=4,
         eta_min=1e-3, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=4)
val_cfg = dict()
test_cfg = dict()

model_wrapper_cfg = dict(type='gml.DMCPDDP')
custom_hooks = [dict(type='gml.DMCPSubnetExportHook', mode='expected')]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(save_best=None, max_keep_ckpts=1))
