# QAT of the morphism evolution's best model on Fashion-MNIST, 3 epochs from
# its float (distilled) weights, as the other chains' QAT stages. Wired:
# model.float_checkpoint.
_base_ = ['./genotype_best_fashion_mnist.py']

model = dict(
    _delete_=True,
    type='gml.QAT',
    model={{_base_.model}},  # the float network: keys fit its checkpoint
    float_checkpoint=None,
    input_shape=(1, 28, 28),
    quantizer=dict(type='gml.Int8Quantizer'),
    freeze_observer_epoch=2,
    freeze_bn_epoch=1,
)
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-4,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=3)
model_wrapper_cfg = dict(type='MMDistributedDataParallel',
                         broadcast_buffers=True)
