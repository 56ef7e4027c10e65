# Group pruning (torch-pruning) of a retrained Fashion-MNIST SPOS subnet to
# 50 % of its FLOPs, one-shot, channel counts multiples of 8 (latency on
# onnxruntime), then fine-tuned 3 epochs. The pipeline wires the subnet and
# its float weights:
#   algorithm.model.mutable_cfg=SEARCH_DIR/best_subnet.yaml
#   algorithm.model.init_cfg="dict(type='Pretrained',checkpoint=RETRAIN_CKPT)"
_base_ = ['../../nas/spos/spos_shufflenetv2_subnet_fashion_mnist.py']

algorithm = dict(
    _delete_=True,
    type='gml.GroupPruning',
    model={{_base_.algorithm}},
    input_shape=(1, 1, 28, 28),
    target_flops=0.5,
    importance='l1',
    round_to=8,
    global_pruning=True,
    prune_epochs=[0],
)
custom_hooks = [dict(type='gml.GroupPruningHook')]
# a fine-tune from trained weights, not a training from scratch
optim_wrapper = dict(optimizer=dict(lr=0.02))
train_cfg = dict(max_epochs=3, val_interval=3)
