# Group pruning of the Fashion-MNIST ResNet_CIFAR-18 to 50 % of its FLOPs:
# Taylor importance, channels ranked globally and kept in multiples of 8
# (faster on onnxruntime, see README.md), 3 steps with fine-tuning between
# them. Start from the trained model:
#   python tools/train.py configs/pruning/group/group_resnet18_fashion_mnist_f50.py \
#       --cfg-options load_from=TRAINED.pth
# Test/rebuild with the unpruned config:
#   python tools/test.py configs/classification/fashion_mnist/resnet18_fashion_mnist.py \
#       work_dir/pruned.pth --cfg-options model.pruning_spec=work_dir/pruning_spec.yaml
_base_ = ['../../classification/fashion_mnist/resnet18_fashion_mnist.py']

model = dict(
    _delete_=True,
    type='gml.GroupPruning',
    model={{_base_.model}},
    input_shape=(1, 1, 28, 28),
    target_flops=0.5,
    importance='taylor',
    taylor_batches=4,
    global_pruning=True,
    round_to=8,
    prune_epochs=[0, 1, 2],
)
custom_hooks = [dict(type='gml.GroupPruningHook')]
optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, T_max=4,
         eta_min=1e-4, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=4)
