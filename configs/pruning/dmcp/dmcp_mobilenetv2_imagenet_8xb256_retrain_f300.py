# Retrain the structure of dmcp_mobilenetv2_imagenet_8xb256_f300.py.
_base_ = ['./dmcp_mobilenetv2_imagenet_8xb256_retrain.py']

algorithm = dict(
    mutable_cfg='work_dirs/dmcp_mobilenetv2_imagenet_8xb256_f300/'
    'model_sample/subnet.npy')
