# SPOS supernet on ImageNet-1k, 8 GPUs x 128 images (the published SPOS /
# MMRazor setting): SGD 0.5, linear decay over 150k iterations.
#   sh tools/slurm_train.sh $PARTITION $JOB \
#       configs/nas/spos/spos_shufflenetv2_supernet_8xb128_in1k.py $WORK_DIR
_base_ = [
    '../../_base_/datasets/imagenet_bs32.py',
    '../../_base_/schedules/imagenet_bs256.py',
    '../../_base_/default_runtime.py',
]

train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=224),
    dict(type='mmpretrain.ColorJitter', brightness=0.4, contrast=0.4,
         saturation=0.4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(batch_size=128, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader

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

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=4e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = dict(
    _delete_=True, type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False,
    begin=0, end=150000)
auto_scale_lr = dict(base_batch_size=1024)
log_processor = dict(by_epoch=False)

# old-toolbox keys (gml translates them to train_cfg / checkpoint hook)
runner = dict(max_iters=150000)
evaluation = dict(interval=1000, metric='accuracy', by_epoch=False)
checkpoint_config = dict(interval=1000)
find_unused_parameters = True  # one path per iteration gets gradients

# validate on the default path, BN re-estimated on 10 training batches
val_cfg = dict(type='gml.SubnetValLoop', subnet='default',
               calibrate_batches=10)
test_cfg = dict(type='gml.SubnetTestLoop', subnet='default',
                calibrate_batches=10)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=3, save_best=None))
