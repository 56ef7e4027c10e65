# DMCP search on ImageNet, MobileNetV2 pruned to 300 MFLOPs (see the f150
# config for everything else).
_base_ = ['./dmcp_mobilenetv2_imagenet_8xb256_f150.py']

algorithm = dict(model=dict(head=dict(floss_cfg=dict(target_flops=300))))
