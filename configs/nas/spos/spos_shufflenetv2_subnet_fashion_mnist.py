# Retrain a searched subnet from scratch on Fashion-MNIST (train split),
# then tools/test.py on the 10,000 test images:
#   python tools/train.py configs/nas/spos/spos_shufflenetv2_subnet_fashion_mnist.py \
#       --cfg-options algorithm.mutable_cfg=WORK_DIR/best_subnet.yaml
_base_ = ['./spos_shufflenetv2_supernet_fashion_mnist.py']

algorithm = dict(mutable_cfg=None, require_subnet=True)
train_cfg = dict(max_epochs=15, val_interval=15)
val_cfg = dict(_delete_=True)
test_cfg = dict(_delete_=True)
find_unused_parameters = False  # a fixed subnet uses all its parameters
