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
