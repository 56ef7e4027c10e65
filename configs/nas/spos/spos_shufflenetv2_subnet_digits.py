# Retrain a searched subnet from scratch on the digits:
#   python tools/train.py configs/nas/spos/spos_shufflenetv2_subnet_digits.py \
#       --cfg-options algorithm.mutable_cfg=WORK_DIR/best_subnet.yaml
_base_ = ['./spos_shufflenetv2_supernet_digits.py']

algorithm = dict(mutable_cfg=None, require_subnet=True)
train_cfg = dict(max_epochs=12, val_interval=4)
val_cfg = dict(_delete_=True)
test_cfg = dict(_delete_=True)
find_unused_parameters = False  # a fixed subnet uses all its parameters
