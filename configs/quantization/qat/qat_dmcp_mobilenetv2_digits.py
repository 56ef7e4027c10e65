# QAT of the DMCP-pruned MobileNetV2 on the digits (after configs/pruning/dmcp:
# search -> retrain the pruned widths -> quantize):
#   python tools/train.py \
#       configs/quantization/qat/qat_dmcp_mobilenetv2_digits.py \
#       --work-dir $WORK_DIR --cfg-options \
#       algorithm.model.mutable_cfg=$SEARCH_DIR/model_sample/subnet.yaml \
#       algorithm.float_checkpoint=$RETRAIN_DIR/epoch_10.pth
_base_ = ['../../pruning/dmcp/dmcp_mobilenetv2_digits_retrain.py']

algorithm = dict(
    _delete_=True,
    type='gml.QAT',
    model={{_base_.algorithm}},  # the pruned network, exactly as retrained
    float_checkpoint=None,
    input_shape=(3, 8, 8),
    quantizer=dict(type='gml.Int8Quantizer'),
    freeze_observer_epoch=3,
    freeze_bn_epoch=2,
)

optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-4,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=1)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2))
model_wrapper_cfg = dict(_delete_=True, type='MMDistributedDataParallel',
                         broadcast_buffers=True)
