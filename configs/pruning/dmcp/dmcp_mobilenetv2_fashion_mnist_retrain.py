# Retrain the structure found by dmcp_mobilenetv2_fashion_mnist_f50.py as an
# ordinary MobileNetV2 of exactly those widths, on all 55,000 training
# images, for as many epochs as the float network
# (configs/compress/models/mobilenetv2_fashion_mnist.py):
#   python tools/train.py \
#       configs/pruning/dmcp/dmcp_mobilenetv2_fashion_mnist_retrain.py \
#       --cfg-options algorithm.mutable_cfg=$SEARCH/model_sample/subnet.yaml
_base_ = ['./dmcp_mobilenetv2_fashion_mnist_f50.py']

algorithm = dict(
    retraining=True,
    mutable_cfg='work_dirs/dmcp_mobilenetv2_fashion_mnist_f50/model_sample/'
    'subnet.yaml')

train_dataloader = dict(dataset=dict(indices=None))
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4,
                   nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-4,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=8)

model_wrapper_cfg = None  # one forward per step: mmengine's DDP is right
custom_hooks = []
default_hooks = dict(checkpoint=dict(save_best=None, max_keep_ckpts=1))
