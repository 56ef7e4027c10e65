# Retrain a searched subnet from scratch on the digits:
#   python tools/train.py configs/nas/spos/spos_shufflenetv2_subnet_digits.py \
#       --cfg-options algorithm.mutable_cfg=WORK_DIR/best_subnet.yaml
_base_ = ['./spos_shufflenetv2_supernet_digits.py']

# a single path trains like any network: no zero-initialised branches, a
# lower learning rate
algorithm = dict(
    mutable_cfg=None,
    require_subnet=True,
    model=dict(backbone=dict(zero_init_branch=False)))
optim_wrapper = dict(optimizer=dict(lr=0.05))
train_cfg = dict(max_epochs=12, val_interval=4)
val_cfg = dict(_delete_=True)
test_cfg = dict(_delete_=True)
find_unused_parameters = False  # a fixed subnet uses all its parameters
