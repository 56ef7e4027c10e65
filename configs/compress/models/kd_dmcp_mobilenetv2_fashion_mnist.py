# Retrain the widths DMCP found (dmcp_mobilenetv2_fashion_mnist_retrain.py)
# while distilling the float teacher's logits (KD, tau 4). The pipeline wires
# algorithm.model.mutable_cfg (the DMCP subnet) and the teacher's config and
# checkpoint; by hand:
#   python tools/train.py THIS_FILE --cfg-options \
#       algorithm.model.mutable_cfg=DMCP_DIR/model_sample/subnet.yaml \
#       algorithm.distiller.teacher=TEACHER_CONFIG \
#       algorithm.distiller.teacher_ckpt=TEACHER_CKPT
_base_ = ['../../pruning/dmcp/dmcp_mobilenetv2_fashion_mnist_retrain.py']

algorithm = dict(
    _delete_=True,
    type='TeacherStudentDistillation',
    model={{_base_.algorithm}},
    distiller=dict(
        type='TeacherDistiller',
        teacher='configs/compress/models/mobilenetv2_fashion_mnist.py',
        teacher_ckpt=None,
        distill_cfg=dict(
            # the head's output: its forward slices fc's weight, fc never runs
            student_module='architecture.head',
            teacher_module='head.fc',
            head=dict(type='DistillationHead',
                      loss=dict(type='KDLoss', tau=4.0, loss_weight=1.0),
                      name='logits_KD'))))
