# Retrain a searched subnet from scratch on the cluttered digits:
#   python tools/train.py configs/nas/spos/spos_shufflenetv2_subnet_digits.py \
#       --cfg-options algorithm.mutable_cfg=WORK_DIR/best_subnet.yaml
_base_ = ['./spos_shufflenetv2_supernet_digits.py']

# a single path trains like any network; its ops keep their own weights
algorithm = dict(mutable_cfg=None, require_subnet=True)
train_cfg = dict(max_epochs=5, val_interval=5)
val_cfg = dict(_delete_=True)
test_cfg = dict(_delete_=True)
find_unused_parameters = False  # a fixed subnet uses all its parameters
