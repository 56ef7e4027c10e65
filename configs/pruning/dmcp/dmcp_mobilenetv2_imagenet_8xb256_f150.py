# DMCP search on ImageNet: a 1.5x MobileNetV2 supernet (656 MFLOPs counted by
# mmengine.analysis at 224x224, BatchNorm included) pruned to 150 MFLOPs.
# 8 GPUs x 256 images. Writes work_dir/model_sample/subnet.{npy,yaml}.
#   sh tools/slurm_train.sh $PARTITION $JOB \
#       configs/pruning/dmcp/dmcp_mobilenetv2_imagenet_8xb256_f150.py \
#       --work-dir $WORK_DIR
_base_ = [
    '../../_base_/datasets/imagenet_bs32.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='gml.ImageClassifierSearch',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='gml.MobileNetV2Slice',
        # every layer from 0.1x to 1.5x its standard width in 0.1x groups;
        # set search_space=dict() for the standard MobileNetV2
        search_space=dict(min_ratio=0.1, max_ratio=1.5, step=0.1)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='gml.LinearClsHead_WithFLOPs',
        num_classes=1000,
        in_channels=1280,
        floss_cfg=dict(
            input_size=(3, 224, 224),
            target_flops=150,
            floss_type='log_l1',
            flop_loss_weight=0.1),
        distill_cfg=dict(
            temperature=1,
            distill_weight=1,
            distill_softlable=False),
        topk=(1, 5),
        cal_acc=True,
    ))

customed_mutator = dict(type='gml.DMCPChannelMutator', init_last_prob=0.5)

algorithm = dict(
    type='gml.DMCP',
    model=model,
    algorithm_cfg=dict(
        arch_start_train=None,
        arch_train_freq=1,
        arch_sample_num=5,
    ),
    mutator=customed_mutator,
    distill_iter=2000,
)

train_dataloader = dict(batch_size=256)
val_dataloader = dict(batch_size=256)

# weights (architecture) and Markov parameters (mutator) have their own
# optimizers; DMCP.train_step drives both.
optim_wrapper = dict(
    constructor='gml.SeparateOptimWrapperConstructor',
    architecture=dict(
        optimizer=dict(type='SGD', lr=0.8, momentum=0.9, weight_decay=4e-5,
                       nesterov=True),
        paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0)),
    mutator=dict(optimizer=dict(type='Adam', lr=0.5, weight_decay=1e-3)))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.25, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=2, T_max=38,
         eta_min=0, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=2048)

# several forwards and two optimizers per step: DMCP syncs its own gradients
model_wrapper_cfg = dict(type='gml.DMCPDDP')
custom_hooks = [dict(type='gml.DMCPSubnetExportHook', mode='expected')]
