# The tiny two-stage ResNet of tests/data/qat_tiny_digits.py as a plain float
# classifier: the first stage of the compression-chain tests.
_base_ = ['../../../configs/classification/digits/resnet18_digits.py']

model = dict(
    backbone=dict(stem_channels=8, base_channels=8, num_stages=2,
                  strides=(1, 2), dilations=(1, 1), out_indices=(1, )),
    head=dict(in_channels=16))
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(max_keep_ckpts=1, save_best=None))
