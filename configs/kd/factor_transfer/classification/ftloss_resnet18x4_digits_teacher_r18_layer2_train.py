# Factor transfer, stage 2: distillation. The student (with its Translator)
# learns from its labels and from the teacher's factor, given by the
# Paraphraser that stage 1 trained. Run with
#   TEACHER_WORK_DIR=... PRETRAIN_WORK_DIR=... python tools/train.py \
#       THIS_FILE --work-dir $DISTILLATION_WORK_DIR
_base_ = ['./ftloss_resnet18x4_digits_teacher_r18_layer2_pretrain.py']

algorithm = dict(
    # `pretrained` is set, so this is the distillation stage
    pretrained='${PRETRAIN_WORK_DIR}/latest.pth',
    init_cfg=dict(
        type='Pretrained', checkpoint='${PRETRAIN_WORK_DIR}/latest.pth'))

# the student's own schedule (configs/_base_/schedules/digits_bs32_10e.py)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4,
                   nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, T_max=9,
         eta_min=1e-4, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=1)
default_hooks = dict(checkpoint=dict(save_best='auto'))
