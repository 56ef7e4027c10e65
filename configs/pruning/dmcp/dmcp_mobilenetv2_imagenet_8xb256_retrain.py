# Retrain the structure a DMCP search exported, as an ordinary MobileNetV2 of
# exactly those widths. Point algorithm.mutable_cfg at the search's
# WORK_DIR/model_sample/subnet.npy (or subnet.yaml):
#   sh tools/slurm_train.sh $PARTITION $JOB \
#       configs/pruning/dmcp/dmcp_mobilenetv2_imagenet_8xb256_retrain.py \
#       --work-dir $WORK_DIR \
#       --cfg-options algorithm.mutable_cfg=$SEARCH_DIR/model_sample/subnet.npy
_base_ = ['./dmcp_mobilenetv2_imagenet_8xb256_f150.py']

algorithm = dict(
    retraining=True,
    mutable_cfg='work_dirs/dmcp_mobilenetv2_imagenet_8xb256_f150/'
    'model_sample/subnet.npy',
    model=dict(head=dict(
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original', loss_weight=1.0))))

optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='SGD', lr=0.8, momentum=0.9, weight_decay=4e-5,
                   nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.25, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=2, T_max=248,
         eta_min=0, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=250, val_interval=1)

model_wrapper_cfg = None  # one forward per step: mmengine's DDP
custom_hooks = []
