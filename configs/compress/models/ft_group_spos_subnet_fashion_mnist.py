# Fine-tune the pruned Fashion-MNIST SPOS subnet alone (no teacher) for the
# KD stage's 6 epochs: the no-KD ablation. The pruned network is rebuilt
# from its pruning_spec.yaml and loaded from the pruning stage's checkpoint.
# Wired: algorithm.pruning_spec, algorithm.init_cfg.checkpoint,
# algorithm.model.mutable_cfg
_base_ = ['./group_spos_subnet_fashion_mnist.py']

custom_hooks = []  # the spec gives the structure: nothing is pruned again
train_cfg = dict(max_epochs=6, val_interval=6)
