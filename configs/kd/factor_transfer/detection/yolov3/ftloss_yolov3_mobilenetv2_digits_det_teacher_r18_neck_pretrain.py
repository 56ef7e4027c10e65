# Factor transfer on digits detection, stage 1: connector pre-training (the
# seed's COCO workflow at CPU scale). The Paraphraser learns to reconstruct
# the frozen teacher's stride-8 neck feature (neck.detect3.conv5.conv, 64
# channels); the student (96 channels there) is not run.
#   TEACHER_WORK_DIR=<teacher work dir> python tools/train.py THIS_FILE \
#       --work-dir $PRETRAIN_WORK_DIR
_base_ = ['./yolov3_mobilenetv2_digits_det_student.py']

teacher = dict(
    student_module='neck.detect3.conv5.conv',
    teacher_module='neck.detect3.conv5.conv',
    head=dict(
        type='FTDistillationHead',
        loss=dict(type='FTLoss', loss_weight=10.),
        name='neck_FTdis_stage3',
        stu_connector=dict(type='Translator', in_channel=96, out_channel=64),
        tea_connector=dict(
            type='Paraphraser',
            in_channel=64,
            out_channel=64,
            pretrain_criterion=dict(type='MSELoss', loss_weight=10.0)))),

algorithm = dict(
    type='TeacherStudentDistillation',
    model={{_base_.model}},
    distiller=dict(
        type='TeacherDistiller',
        teacher='{{ fileDirname }}/yolov3_r18_digits_det_teacher.py',
        teacher_ckpt='${TEACHER_WORK_DIR}/latest.pth',
        distill_cfg=teacher,
        # off so FT is measured alone; MEAL's soft labels (KD on image-level
        # logits) have no detection counterpart, only its discriminator on
        # pooled neck features would run here (docs/kd.md)
        use_meal=False),
)

# the paraphraser converges long before the detector; nothing to evaluate
train_cfg = dict(max_epochs=4, val_interval=100)
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=4,
                        convert_to_iter_based=True)]
