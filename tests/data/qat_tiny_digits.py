# A two-stage ResNet with 8/16 channels on the digits: every pattern the int8
# recipe handles (conv-bn-relu, conv-bn, residual add-relu, a strided
# downsample, the linear head) at a fraction of the digits ResNet-18's cost.
_base_ = ['../../configs/quantization/qat/qat_resnet18_digits.py']

tiny = dict(
    backbone=dict(stem_channels=8, base_channels=8, num_stages=2,
                  strides=(1, 2), dilations=(1, 1), out_indices=(1, )),
    head=dict(in_channels=16))
algorithm = dict(model=tiny)
