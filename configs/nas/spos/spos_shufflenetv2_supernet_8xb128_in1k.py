# SPOS supernet on ImageNet-1k, 8 GPUs x 128 images (the published SPOS /
# MMRazor setting): SGD 0.5, linear decay over 150k iterations.
#   sh tools/slurm_train.sh $PARTITION $JOB \
#       configs/nas/spos/spos_shufflenetv2_supernet_8xb128_in1k.py $WORK_DIR
# Up to the gml additions at the end, this is the old toolbox's config as its
# usage document shows it (old-style keys included; gml translates them).
_base_ = [
    '../../_base_/datasets/mmcls/imagenet_bs128_colorjittor.py', # 数据相关基础配置
    '../../_base_/schedules/mmcls/imagenet_bs1024_spos.py', # 运行策略基础配置
    '../../_base_/mmcls_runtime.py' # 运行参数基础配置
]

norm_cfg = dict(type='BN')
model = dict(
    type='mmcls.ImageClassifier',
    backbone=dict(
        type='gml.ShuffleNetV2_OneShot', widen_factor=1.0, norm_cfg=norm_cfg),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1024,
        loss=dict(
            type='LabelSmoothLoss',
            num_classes=1000,
            label_smooth_val=0.1,
            mode='original',
            loss_weight=1.0),
        topk=(1, 5),
    ),
)

mutator = dict(type='gml.StateslessMutator')
algorithm = dict(type='gml.SPOS', model=model, mutator=mutator)
runner = dict(max_iters=150000)
evaluation = dict(interval=1000, metric='accuracy', by_epoch=False)
# checkpoint saving
checkpoint_config = dict(interval=1000)
find_unused_parameters = True

# gml additions: validate/test the default path, BN re-estimated on 10
# training batches (a supernet's running statistics fit no single path)
val_cfg = dict(type='gml.SubnetValLoop', subnet='default',
               calibrate_batches=10)
test_cfg = dict(type='gml.SubnetTestLoop', subnet='default',
                calibrate_batches=10)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=3, save_best=None))
