# Factor transfer on detection, stage 1: connector pre-training.
# Student: mmdet YOLOv3 MobileNetV2 320; teacher: YOLOv3 Darknet-53 320.
# The Paraphraser learns to reconstruct the teacher's neck feature at
# stride 8 (neck.detect3.conv5.conv, 128 channels); the student's matching
# layer has 96 channels.
#   bash tools/slurm_train.sh $PARTITION $JOB_NAME THIS_FILE $PRETRAIN_WORK_DIR
_base_ = 'mmdet::yolo/yolov3_mobilenetv2_8xb24-320-300e_coco.py'
default_scope = 'gml'  # the mmdet base sets 'mmdet'

teacher = dict(
    student_module='neck.detect3.conv5.conv',
    teacher_module='neck.detect3.conv5.conv',
    head=dict(
        type='FTDistillationHead',
        loss=dict(type='FTLoss', loss_weight=10.),
        name='neck_FTdis_stage3',
        stu_connector=dict(
            type='Translator', in_channel=96, out_channel=128),
        tea_connector=dict(
            type='Paraphraser',
            in_channel=128,
            out_channel=128,
            pretrain_criterion=dict(
                type='MSELoss', loss_weight=10.0)))),

algorithm = dict(
    type='TeacherStudentDistillation',
    model={{_base_.model}},
    distiller=dict(
        type='TeacherDistiller',
        teacher='{{ fileDirname }}/yolov3_d53_320_273e_coco_teacher.py',
        # mmdet's COCO weights of the teacher (downloaded on first use;
        # or a local file / ${TEACHER_WORK_DIR}/latest.pth)
        teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/yolo/'
        'yolov3_d53_320_273e_coco/yolov3_d53_320_273e_coco-421362b6.pth',
        distill_cfg=teacher,
        use_meal=True,
    ),
)

# the paraphraser converges long before the detector would
# (an epoch is 10 passes over COCO: RepeatDataset in the mmdet base)
train_cfg = dict(max_epochs=1, val_interval=100)
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=1,
                        convert_to_iter_based=True)]
