# QAT of a retrained SPOS subnet on the digits (the last step after
# configs/nas/spos: supernet -> search -> retrain the subnet -> quantize):
#   python tools/train.py \
#       configs/quantization/qat/qat_spos_shufflenetv2_subnet_digits.py \
#       --work-dir $WORK_DIR --cfg-options \
#       algorithm.model.mutable_cfg=$SEARCH_DIR/best_subnet.yaml \
#       algorithm.float_checkpoint=$RETRAIN_DIR/epoch_12.pth
# (the same subnet yaml the float model was retrained with)
_base_ = ['../../nas/spos/spos_shufflenetv2_subnet_digits.py']

algorithm = dict(
    _delete_=True,
    type='gml.QAT',
    model={{_base_.algorithm}},  # the fixed subnet: keys fit its checkpoint
    float_checkpoint=None,
    input_shape=(3, 16, 16),  # the cluttered-digits canvas
    quantizer=dict(type='gml.Int8Quantizer'),
    freeze_observer_epoch=3,
    freeze_bn_epoch=2,
)

# a short fine-tune at 1/10 of the retraining learning rate
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-4,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=4, val_interval=1)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2))
model_wrapper_cfg = dict(type='MMDistributedDataParallel',
                         broadcast_buffers=True)
