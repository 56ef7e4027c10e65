# Classic logit distillation (Hinton et al., 2015): the student matches the
# teacher's temperature-softened class scores (KL divergence, tau=4) on top
# of its own cross-entropy. One stage: no connector needs pre-training.
#   TEACHER_WORK_DIR=... python tools/train.py THIS_FILE --work-dir DIR
_base_ = ['../factor_transfer/classification/resnet18x4_digits_student.py']

teacher = dict(
    student_module='head.fc',
    teacher_module='head.fc',
    head=dict(
        type='DistillationHead',
        loss=dict(type='KDLoss', tau=4.0, loss_weight=1.0),
        name='logits_KD')),

algorithm = dict(
    type='TeacherStudentDistillation',
    model={{_base_.model}},
    distiller=dict(
        type='TeacherDistiller',
        teacher='{{ fileDirname }}/../factor_transfer/classification/'
        'resnet18_digits_teacher.py',
        teacher_ckpt='${TEACHER_WORK_DIR}/latest.pth',
        distill_cfg=teacher))
