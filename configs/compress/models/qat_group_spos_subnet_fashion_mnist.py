# QAT of the pruned (and distilled) Fashion-MNIST SPOS subnet, 3 epochs: the
# pruned network rebuilt from its pruning_spec.yaml, fine-tuned from the
# distilled student. Wired: algorithm.model.pruning_spec,
# algorithm.model.model.mutable_cfg, algorithm.float_checkpoint.
_base_ = ['./group_spos_subnet_fashion_mnist.py']

algorithm = dict(
    _delete_=True,
    type='gml.QAT',
    model={{_base_.algorithm}},
    float_checkpoint=None,
    input_shape=(1, 28, 28),
    quantizer=dict(type='gml.Int8Quantizer'),
    freeze_observer_epoch=2,
    freeze_bn_epoch=1,
)
custom_hooks = []
optim_wrapper = dict(optimizer=dict(lr=0.005))
train_cfg = dict(max_epochs=3, val_interval=3)
model_wrapper_cfg = dict(type='MMDistributedDataParallel',
                         broadcast_buffers=True)
