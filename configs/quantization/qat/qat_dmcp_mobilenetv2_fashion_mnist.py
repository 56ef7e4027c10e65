# QAT of the DMCP-pruned MobileNetV2 on Fashion-MNIST (after
# configs/pruning/dmcp: search -> retrain the pruned widths -> quantize),
# 3 epochs from the retrained (or distilled) weights:
#   python tools/train.py \
#       configs/quantization/qat/qat_dmcp_mobilenetv2_fashion_mnist.py \
#       --work-dir $WORK_DIR --cfg-options \
#       algorithm.model.mutable_cfg=$SEARCH_DIR/model_sample/subnet.yaml \
#       algorithm.float_checkpoint=$RETRAIN_DIR/epoch_8.pth
_base_ = ['../../pruning/dmcp/dmcp_mobilenetv2_fashion_mnist_retrain.py']

algorithm = dict(
    _delete_=True,
    type='gml.QAT',
    model={{_base_.algorithm}},  # the pruned network, exactly as retrained
    float_checkpoint=None,
    input_shape=(1, 28, 28),
    quantizer=dict(type='gml.Int8Quantizer'),
    freeze_observer_epoch=2,
    freeze_bn_epoch=1,
)

# a short fine-tune at 1/20 of the retraining learning rate
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-4,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=3)
model_wrapper_cfg = dict(_delete_=True, type='MMDistributedDataParallel',
                         broadcast_buffers=True)
