# QAT of the digits ResNet-18 (classification/digits/resnet18_digits.py),
# fine-tuned from its trained float checkpoint:
#   CFG=configs/quantization/qat/qat_resnet18_digits.py
#   python tools/train.py $CFG --work-dir $WORK_DIR \
#       --cfg-options algorithm.float_checkpoint=$FLOAT_WORK_DIR/epoch_10.pth
# then convert to int8 ONNX and measure it on onnxruntime:
#   python tools/quantization/export.py $CFG $WORK_DIR/epoch_4.pth --out q.onnx
#   python tools/test.py $CFG q.onnx --backend onnxruntime
_base_ = ['../../classification/digits/resnet18_digits.py']

algorithm = dict(
    type='gml.QAT',
    model={{_base_.model}},
    float_checkpoint=None,  # training needs it (see the command above)
    input_shape=(3, 8, 8),
    quantizer=dict(type='gml.Int8Quantizer'),
    # torchvision's QAT recipe: ranges and BN statistics adapt for the first
    # epochs, then stay fixed while the weights settle
    freeze_observer_epoch=3,
    freeze_bn_epoch=2,
)

# a short fine-tune at 1/10 of the float model's learning rate
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-4,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=1)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2,
                                     save_best=None))
# every rank's observers and BN statistics follow rank 0's (as DDP does by
# default; mmengine's wrapper does not)
model_wrapper_cfg = dict(type='MMDistributedDataParallel',
                         broadcast_buffers=True)
