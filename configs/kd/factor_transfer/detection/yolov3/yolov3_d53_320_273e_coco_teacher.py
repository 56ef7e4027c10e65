# The detection teacher: mmdet 3.3.0's YOLOv3 with a Darknet-53 backbone,
# 320x320 input. Its COCO weights are mmdet's released checkpoint (see
# teacher_ckpt in the distillation configs).
_base_ = 'mmdet::yolo/yolov3_d53_8xb8-320-273e_coco.py'
