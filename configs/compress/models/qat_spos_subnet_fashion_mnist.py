# QAT of the retrained (unpruned) Fashion-MNIST SPOS subnet, 3 epochs from
# its float weights: the "without pruning" ablation of the search-first
# chain. Wired: algorithm.model.mutable_cfg, algorithm.float_checkpoint.
_base_ = ['../../nas/spos/spos_shufflenetv2_subnet_fashion_mnist.py']

algorithm = dict(
    _delete_=True,
    type='gml.QAT',
    model={{_base_.algorithm}},  # the fixed subnet: keys fit its checkpoint
    float_checkpoint=None,
    input_shape=(1, 28, 28),
    quantizer=dict(type='gml.Int8Quantizer'),
    freeze_observer_epoch=2,
    freeze_bn_epoch=1,
)
# as the pruned chain's QAT stage (qat_group_spos_subnet_fashion_mnist.py)
optim_wrapper = dict(optimizer=dict(lr=0.005))
train_cfg = dict(max_epochs=3, val_interval=3)
model_wrapper_cfg = dict(type='MMDistributedDataParallel',
                         broadcast_buffers=True)
