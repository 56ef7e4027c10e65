# The digits-detection teacher: YOLOv3 with a ResNet-18 backbone (11 M
# params). Darknet-53 (mmdet's only Darknet depth, ~3.5 GFLOPs per image even
# at 96x96) is too slow to train on 2 shared CPU cores; ResNet-18 at 64x64
# is ~0.15 GFLOPs and still clearly wider than the student. Train it first:
#   python tools/train.py THIS_FILE --work-dir $TEACHER_WORK_DIR
_base_ = ['./yolov3_digits_det_common.py']

model = dict(
    backbone=dict(type='mmdet.ResNet', depth=18, out_indices=(1, 2, 3),
                  norm_eval=False, frozen_stages=-1),
    neck=dict(type='mmdet.YOLOV3Neck', num_scales=3,
              in_channels=[512, 256, 128], out_channels=[256, 128, 64]),
    bbox_head=dict(in_channels=[256, 128, 64],
                   out_channels=[512, 256, 128]))
