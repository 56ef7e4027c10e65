# ImageNet twin of kd_dmcp_mobilenetv2_digits.py: retrain DMCP's widths
# distilling the float MobileNetV2's logits (not run here).
_base_ = ['../../pruning/dmcp/dmcp_mobilenetv2_imagenet_8xb256_retrain.py']

algorithm = dict(
    _delete_=True,
    type='TeacherStudentDistillation',
    model={{_base_.algorithm}},
    distiller=dict(
        type='TeacherDistiller',
        teacher='configs/compress/models/mobilenetv2_imagenet.py',
        teacher_ckpt=None,
        distill_cfg=dict(
            # the head's output: its forward slices fc's weight, fc never runs
            student_module='architecture.head',
            teacher_module='head.fc',
            head=dict(type='DistillationHead',
                      loss=dict(type='KDLoss', tau=1.0, loss_weight=1.0),
                      name='logits_KD'))))
