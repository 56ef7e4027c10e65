# DMCP on the embedded 8x8 digits: prune a half-width MobileNetV2 to ~50 %
# of its FLOPs. The search exports work_dir/model_sample/subnet.{npy,yaml};
# retrain it with dmcp_mobilenetv2_digits_retrain.py.
_base_ = [
    '../../_base_/datasets/digits.py',
    '../../_base_/default_runtime.py',
]

# 8x8 inputs: no stride in the stem, strides only where the map is >= 4x4
backbone = dict(
    type='gml.MobileNetV2Slice',
    search_space=dict(min_ratio=0.2, max_ratio=1.0, step=0.1),
    widen_factor=0.5,
    last_channels=256,
    stem_stride=1,
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
        # the unpruned network costs 1.70 MFLOPs at 3x8x8: target 50 %
        floss_cfg=dict(
            input_size=(3, 8, 8),
            target_flops=0.85,
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
        arch_start_train=34,  # after one epoch of weight warm-up
        arch_train_freq=1,
        arch_sample_num=4),
    mutator=customed_mutator,
    distill_iter=34)

optim_wrapper = dict(
    constructor='gml.SeparateOptimWrapperConstructor',
    architecture=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4,
                       nesterov=True)),
    mutator=dict(optimizer=dict(type='Adam', lr=0.02, betas=(0.5, 0.999))))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, T_max=8,
         eta_min=1e-3, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=4)
val_cfg = dict()
test_cfg = dict()

model_wrapper_cfg = dict(type='gml.DMCPDDP')
custom_hooks = [dict(type='gml.DMCPSubnetExportHook', mode='expected')]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(save_best=None, max_keep_ckpts=1))
