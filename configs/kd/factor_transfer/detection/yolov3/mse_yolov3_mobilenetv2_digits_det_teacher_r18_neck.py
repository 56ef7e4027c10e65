# Baseline: feature MSE at the same neck point as factor transfer (one
# stage). The same Translator as FT maps the student's 96 channels onto
# the teacher's 64, so only the loss and the target differ.
#   TEACHER_WORK_DIR=... python tools/train.py THIS_FILE --work-dir $WORK_DIR
_base_ = ['./yolov3_mobilenetv2_digits_det_student.py']

algorithm = dict(
    type='TeacherStudentDistillation',
    model={{_base_.model}},
    distiller=dict(
        type='TeacherDistiller',
        teacher='{{ fileDirname }}/yolov3_r18_digits_det_teacher.py',
        teacher_ckpt='${TEACHER_WORK_DIR}/latest.pth',
        distill_cfg=dict(
            student_module='neck.detect3.conv5.conv',
            teacher_module='neck.detect3.conv5.conv',
            head=dict(
                type='DistillationHead',
                loss=dict(type='MSELoss', loss_weight=1.0),
                name='neck_mse_stage3',
                stu_connector=dict(type='Translator', in_channel=96,
                                   out_channel=64)))),
)
