# Evolution search over the digits supernet (tools/search.py CONFIG CKPT).
# Budget: max_epochs x num_candidates = 4 x 12 = 48 evaluated subnets of the
# 1,024 (those under the FLOPs limit: 77 %), each scored on the 360 val
# images after re-estimating BN on 4 training batches.
_base_ = ['./spos_shufflenetv2_supernet_digits.py']

train_cfg = dict(
    _delete_=True,
    type='gml.EvolutionSearchLoop',
    # scored on val_dataloader with val_evaluator (override: dataloader=,
    # evaluator=)
    max_epochs=4,
    num_candidates=12,
    top_k=4,
    num_mutation=5,
    num_crossover=5,
    mutate_prob=0.2,  # 5 blocks: about one re-drawn block per mutant
    score_key='accuracy/top1',
    flops_range=(None, 1.45),  # MFLOPs per 16x16 image (space: 1.21-1.60)
    input_shape=(3, 16, 16),
    calibrate_batches=4)
