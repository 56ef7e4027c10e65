# Factor transfer on digits detection, stage 2: distillation (the student's
# own schedule plus the FT loss at neck.detect3.conv5.conv).
#   TEACHER_WORK_DIR=... python tools/train.py THIS_FILE \
#       --work-dir $DISTILLATION_WORK_DIR --cfg-options \
#       algorithm.pretrained=$PRETRAIN_WORK_DIR/latest.pth
#   python tools/test.py THIS_FILE $DISTILLATION_WORK_DIR/latest.pth \
#       --eval bbox
_base_ = [
    './ftloss_yolov3_mobilenetv2_digits_det_teacher_r18_neck_pretrain.py'
]

algorithm = dict(pretrained='${PRETRAIN_WORK_DIR}/latest.pth')

# back to the student's own schedule
_student = {{_base_.max_epochs}}
train_cfg = dict(max_epochs=_student, val_interval=_student)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=_student,
         convert_to_iter_based=True),
]
