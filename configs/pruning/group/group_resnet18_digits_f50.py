# Group pruning (torch-pruning DepGraph) of a ResNet-18 (CIFAR stem, 16 base
# channels) on the embedded digits to 50 % of its FLOPs, L1 importance, in
# two steps (before epochs 0 and 2) with fine-tuning in between:
#   python tools/train.py configs/pruning/group/group_resnet18_digits_f50.py
# Writes work_dir/pruning_spec.yaml and work_dir/pruned.pth. Rebuild/test:
#   python tools/test.py configs/classification/digits/resnet18_digits.py \
#       work_dir/pruned.pth --cfg-options model.pruning_spec=work_dir/pruning_spec.yaml
# (an unpruned config + a spec is wrapped as gml.GroupPruning automatically
# only in this dialect; see docs/pruning.md).
_base_ = ['../../classification/digits/resnet18_digits.py']

model = dict(
    _delete_=True,
    type='gml.GroupPruning',
    model={{_base_.model}},
    input_shape=(1, 3, 8, 8),
    target_flops=0.5,
    importance='l1',
    global_pruning=False,
    round_to=None,
    prune_epochs=[0, 2],
)
custom_hooks = [dict(type='gml.GroupPruningHook')]
train_cfg = dict(max_epochs=6)
