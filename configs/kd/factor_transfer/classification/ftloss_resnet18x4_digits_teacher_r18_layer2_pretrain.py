# Factor transfer, stage 1: connector pre-training. The Paraphraser learns
# to reconstruct the frozen teacher's layer2 features (16x4x4 -> 32x4x4 on
# 8x8 digits); the student is not trained. Run with
#   TEACHER_WORK_DIR=<teacher work dir> python tools/train.py THIS_FILE \
#       --work-dir $PRETRAIN_WORK_DIR
_base_ = ['./resnet18x4_digits_student.py']

teacher = dict(
    student_module='backbone.layer2',
    teacher_module='backbone.layer2',
    head=dict(
        type='FTDistillationHead',
        loss=dict(type='FTLoss', loss_weight=10.),
        name='layer2_FTdis',
        stu_connector=dict(type='Translator', in_channel=8, out_channel=16),
        tea_connector=dict(
            type='Paraphraser',
            in_channel=32,
            out_channel=16,
            pretrain_criterion=dict(type='MSELoss', loss_weight=10.0)))),

algorithm = dict(
    type='TeacherStudentDistillation',
    model={{_base_.model}},
    distiller=dict(
        type='TeacherDistiller',
        # the teacher's own training config defines its architecture
        teacher='{{ fileDirname }}/resnet18_digits_teacher.py',
        teacher_ckpt='${TEACHER_WORK_DIR}/latest.pth',
        distill_cfg=teacher,
        use_meal=False),
)

# the paraphraser converges in a few epochs; the student is not evaluated
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=3,
                        convert_to_iter_based=True)]
train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=100)
default_hooks = dict(checkpoint=dict(save_best=None))
