# Group pruning (torch-pruning) of a retrained SPOS subnet to 50 % of its
# FLOPs, one-shot, channel counts multiples of 8 (latency on onnxruntime),
# then fine-tuned. The pipeline wires the subnet and its float weights:
#   algorithm.model.mutable_cfg=SEARCH_DIR/best_subnet.yaml
#   algorithm.model.init_cfg="dict(type='Pretrained',checkpoint=RETRAIN_CKPT)"
_base_ = ['../../nas/spos/spos_shufflenetv2_subnet_digits.py']

algorithm = dict(
    _delete_=True,
    type='gml.GroupPruning',
    model={{_base_.algorithm}},
    input_shape=(1, 3, 16, 16),
    target_flops=0.5,
    importance='l1',
    round_to=8,
    # one ratio per layer cannot reach 50 % here: the units' outer channels
    # stay whole (channel shuffle) and the inner ones are 8-16 wide
    global_pruning=True,
    prune_epochs=[0],
)
custom_hooks = [dict(type='gml.GroupPruningHook')]
