# Factor transfer on detection, stage 2: distillation (the student's own
# 300-epoch schedule from mmdet, plus the FT and MEAL losses).
#   bash tools/slurm_train.sh $PARTITION $JOB_NAME THIS_FILE \
#       $DISTILLATION_WORK_DIR --cfg-options \
#       algorithm.pretrained=$PRETRAIN_WORK_DIR/latest.pth
_base_ = [
    './ftloss_yolov3_mobilenetv2_320_300e_coco_teacher_d53_neck_pretrain.py'
]

algorithm = dict(
    pretrained='${PRETRAIN_WORK_DIR}/latest.pth',
    init_cfg=dict(
        type='Pretrained', checkpoint='${PRETRAIN_WORK_DIR}/latest.pth'))

# back to the student's schedule (mmdet: 30 epochs of a 10x RepeatDataset)
train_cfg = dict(max_epochs=30, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.0001, by_epoch=False, begin=0,
         end=4000),
    dict(type='MultiStepLR', by_epoch=True, milestones=[24, 28], gamma=0.1),
]
