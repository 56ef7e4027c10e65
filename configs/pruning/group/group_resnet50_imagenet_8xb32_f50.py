# Group pruning of an ImageNet-trained mmpretrain ResNet-50 to 50 % of its
# FLOPs: L1 group magnitude, uniform ratio, channels rounded to multiples of
# 8, pruned in 3 steps (before epochs 0, 5, 10), fine-tuned for 30 epochs.
# Not run here (no ImageNet on this machine): no published figure.
#   sh tools/slurm_train.sh $PARTITION $JOB \
#       configs/pruning/group/group_resnet50_imagenet_8xb32_f50.py $WORK_DIR
#   -> $WORK_DIR/pruning_spec.yaml, $WORK_DIR/pruned.pth
_base_ = [
    '../../_base_/datasets/imagenet_bs32.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='gml.GroupPruning',
    model=dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='ResNet', depth=50),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=2048,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
                  topk=(1, 5)),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth')),
    input_shape=(1, 3, 224, 224),
    target_flops=0.5,
    importance='l1',
    global_pruning=False,
    round_to=8,
    prune_epochs=[0, 5, 10],
)
custom_hooks = [dict(type='gml.GroupPruningHook')]

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=30,
                       eta_min=0)
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
