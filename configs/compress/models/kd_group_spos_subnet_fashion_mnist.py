# Fine-tune the pruned Fashion-MNIST SPOS subnet (rebuilt from its
# pruning_spec.yaml, loaded from the pruning stage's checkpoint) for 6
# epochs while distilling the float subnet's logits (KD). Wired by the
# pipeline: algorithm.model.pruning_spec, algorithm.model.init_cfg.checkpoint,
# algorithm.model.model.mutable_cfg, algorithm.distiller.teacher(_ckpt)
_base_ = ['./group_spos_subnet_fashion_mnist.py']

algorithm = dict(
    _delete_=True,
    type='TeacherStudentDistillation',
    model={{_base_.algorithm}},
    distiller=dict(
        type='TeacherDistiller',
        teacher='configs/nas/spos/spos_shufflenetv2_subnet_fashion_mnist.py',
        teacher_ckpt=None,
        distill_cfg=dict(
            student_module='architecture.architecture.head.fc',
            teacher_module='architecture.head.fc',
            head=dict(type='DistillationHead',
                      loss=dict(type='KDLoss', tau=4.0, loss_weight=1.0),
                      name='logits_KD'))))
custom_hooks = []
train_cfg = dict(max_epochs=6, val_interval=6)
