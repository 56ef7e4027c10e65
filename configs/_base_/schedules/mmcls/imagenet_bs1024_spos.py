# The old toolbox's SPOS schedule (mmcls 0.x, 8 x 128 images), under its old
# name: SGD 0.5 without weight decay on norms and biases, a linear ("poly",
# power 1) decay to 0 over the whole run, 300k iterations.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=4e-5),
    paramwise_cfg=dict(bias_decay_mult=0.0, norm_decay_mult=0.0))
# no `end`: mmengine ends it at train_cfg.max_iters, so a config that sets
# runner = dict(max_iters=N) decays over its N iterations
param_scheduler = dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False)
train_cfg = dict(by_epoch=False, max_iters=300000, val_interval=1000)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=1024)
log_processor = dict(by_epoch=False)
