# A short schedule for the embedded digits: 10 epochs of SGD, a 20-iteration
# warm-up, then cosine decay to the end of training (however many epochs
# --cfg-options train_cfg.max_epochs asks for: T_max follows `end`).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4,
                   nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-4,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
