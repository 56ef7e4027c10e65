# Train the morphism evolution's best model (genotype_best_fashion_mnist.py,
# 15 epochs from scratch) while distilling the float MobileNetV2 teacher's
# logits (KD, tau 4). The pipeline wires the teacher; by hand:
#   python tools/train.py THIS_FILE --cfg-options \
#       algorithm.distiller.teacher=TEACHER_CONFIG \
#       algorithm.distiller.teacher_ckpt=TEACHER_CKPT
_base_ = ['./genotype_best_fashion_mnist.py']

algorithm = dict(
    type='TeacherStudentDistillation',
    model={{_base_.model}},
    distiller=dict(
        type='TeacherDistiller',
        teacher='configs/compress/models/mobilenetv2_fashion_mnist.py',
        teacher_ckpt=None,
        distill_cfg=dict(
            student_module='head.fc',
            teacher_module='head.fc',
            head=dict(type='DistillationHead',
                      loss=dict(type='KDLoss', tau=4.0, loss_weight=1.0),
                      name='logits_KD'))))
