# Retrain the structure of dmcp_mobilenetv2_imagenet_8xb256_f200.py.
_base_ = ['./dmcp_mobilenetv2_imagenet_8xb256_retrain.py']

algorithm = dict(
    mutable_cfg='work_dirs/dmcp_mobilenetv2_imagenet_8xb256_f200/'
    'model_sample/subnet.npy')
