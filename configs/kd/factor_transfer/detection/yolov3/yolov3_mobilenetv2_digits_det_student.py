# The digits-detection student alone: mmdet's YOLOv3-MobileNetV2 (the seed's
# student, neck 96 channels at every scale), trained from scratch. Also the
# plain detector config an exported student is tested with:
#   python tools/kd/export_student.py $DISTILLATION_WORK_DIR/latest.pth s.pth
#   python tools/test.py THIS_FILE s.pth --eval bbox
_base_ = ['./yolov3_digits_det_common.py']

model = dict(
    backbone=dict(type='mmdet.MobileNetV2', out_indices=(2, 4, 6),
                  act_cfg=dict(type='LeakyReLU', negative_slope=0.1)),
    neck=dict(type='mmdet.YOLOV3Neck', num_scales=3,
              in_channels=[320, 96, 32], out_channels=[96, 96, 96]),
    bbox_head=dict(in_channels=[96, 96, 96],
                   out_channels=[96, 96, 96]))
