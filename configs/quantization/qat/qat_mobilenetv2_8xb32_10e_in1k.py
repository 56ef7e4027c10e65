# QAT of MobileNetV2 1.0x on ImageNet-1k, torchvision's published recipe
# (references/classification, "QAT MobileNetV2"): SGD lr 1e-4, momentum
# 0.9, weight decay 1e-4, batch 8 x 32; observers frozen after 4 epochs,
# BN statistics after 3; "converges at about 10 epochs".
#   sh tools/slurm_train.sh $PARTITION $JOB \
#       configs/quantization/qat/qat_mobilenetv2_8xb32_10e_in1k.py $WORK_DIR \
#       --cfg-options algorithm.float_checkpoint=$FLOAT_CKPT
# $FLOAT_CKPT: any float checkpoint of this model, e.g. mmpretrain's
# https://download.openmmlab.com/mmclassification/v0/mobilenet_v2/mobilenet_v2_batch256_imagenet_20200708-3b2dc3af.pth
_base_ = [
    '../../_base_/datasets/imagenet_bs32.py',
    '../../_base_/default_runtime.py',
]

float_model = dict(
    type='mmpretrain.ImageClassifier',
    backbone=dict(type='MobileNetV2', widen_factor=1.0),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))

algorithm = dict(
    type='gml.QAT',
    model=float_model,
    float_checkpoint=None,
    input_shape=(3, 224, 224),
    quantizer=dict(type='gml.Int8Quantizer'),
    freeze_observer_epoch=4,
    freeze_bn_epoch=3,
)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=1e-4, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='StepLR', by_epoch=True, step_size=30, gamma=0.1),
]
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=3))
model_wrapper_cfg = dict(type='MMDistributedDataParallel',
                         broadcast_buffers=True)
