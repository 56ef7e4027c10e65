# Group pruning of an ImageNet-trained MobileNetV2 1.0x to 50 % of its FLOPs
# (the FLOPs ratio of DMCP's 150 MFLOPs config is ~50 % of 300 MFLOPs):
# Taylor importance (4 batches of 32, rank 0, dataset order), global ranking,
# channels rounded to 8, one-shot, then 30 epochs of fine-tuning.
# Not run here (no ImageNet on this machine): no published figure.
#   sh tools/slurm_train.sh $PARTITION $JOB \
#       configs/pruning/group/group_mobilenetv2_imagenet_8xb32_f50.py $WORK_DIR
_base_ = ['./group_resnet50_imagenet_8xb32_f50.py']

model = dict(
    model=dict(
        _delete_=True,
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='MobileNetV2', widen_factor=1.0),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=1280,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
                  topk=(1, 5)),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'mobilenet_v2/mobilenet_v2_batch256_imagenet_20200708-3b2dc3af.pth')),
    importance='taylor',
    taylor_batches=4,
    global_pruning=True,
    prune_epochs=[0],
)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=4e-5))
