# QAT of a retrained SPOS ShuffleNetV2 subnet on ImageNet-1k with the
# published QAT recipe (see qat_mobilenetv2_8xb32_10e_in1k.py): 10 epochs
# at lr 1e-4, observers frozen after 4 epochs, BN statistics after 3.
#   CFG=configs/quantization/qat/qat_spos_shufflenetv2_subnet_8xb32_10e_in1k.py
#   sh tools/slurm_train.sh $PARTITION $JOB $CFG $WORK_DIR --cfg-options \
#       algorithm.model.mutable_cfg=$SUBNET_YAML \
#       algorithm.float_checkpoint=$RETRAIN_DIR/iter_300000.pth
_base_ = ['../../nas/spos/spos_shufflenetv2_subnet_8xb128_in1k.py']

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
    optimizer=dict(lr=1e-4, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(_delete_=True))
param_scheduler = dict(
    _delete_=True, type='StepLR', by_epoch=True, step_size=30, gamma=0.1)
auto_scale_lr = dict(base_batch_size=256)
log_processor = dict(by_epoch=True)
# the retraining config counts iterations (old-toolbox keys); QAT epochs
runner = dict(_delete_=True, type='EpochBasedRunner', max_epochs=10)
evaluation = dict(_delete_=True, interval=1, metric='accuracy')
checkpoint_config = dict(_delete_=True, interval=1, max_keep_ckpts=3)
model_wrapper_cfg = dict(type='MMDistributedDataParallel',
                         broadcast_buffers=True)
