# QAT of the DMCP-pruned MobileNetV2 on ImageNet-1k with the published QAT
# recipe (see qat_mobilenetv2_8xb32_10e_in1k.py).
#   sh tools/slurm_train.sh $PARTITION $JOB \
#       configs/quantization/qat/qat_dmcp_mobilenetv2_8xb32_10e_in1k.py \
#       $WORK_DIR --cfg-options \
#       algorithm.model.mutable_cfg=$SEARCH_DIR/model_sample/subnet.npy \
#       algorithm.float_checkpoint=$RETRAIN_DIR/epoch_250.pth
_base_ = ['../../pruning/dmcp/dmcp_mobilenetv2_imagenet_8xb256_retrain.py']

algorithm = dict(
    _delete_=True,
    type='gml.QAT',
    model={{_base_.algorithm}},
    float_checkpoint=None,
    input_shape=(3, 224, 224),
    quantizer=dict(type='gml.Int8Quantizer'),
    freeze_observer_epoch=4,
    freeze_bn_epoch=3,
)

train_dataloader = dict(batch_size=32)
val_dataloader = dict(batch_size=32)
test_dataloader = val_dataloader
optim_wrapper = dict(
    optimizer=dict(lr=1e-4, momentum=0.9, weight_decay=1e-4,
                   nesterov=False),
    paramwise_cfg=dict(_delete_=True))
param_scheduler = dict(
    _delete_=True, type='StepLR', by_epoch=True, step_size=30, gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=1)
auto_scale_lr = dict(base_batch_size=256)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=3))
model_wrapper_cfg = dict(_delete_=True, type='MMDistributedDataParallel',
                         broadcast_buffers=True)
