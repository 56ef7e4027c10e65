# Evolution search over the digits supernet (tools/search.py CONFIG CKPT).
# Budget: max_epochs x num_candidates = 8 x 16 = 128 evaluated subnets.
_base_ = ['./spos_shufflenetv2_supernet_digits.py']

train_cfg = dict(
    _delete_=True,
    type='gml.EvolutionSearchLoop',
    # scored on val_dataloader with val_evaluator (override: dataloader=,
    # evaluator=)
    max_epochs=8,
    num_candidates=16,
    top_k=5,
    num_mutation=6,
    num_crossover=6,
    mutate_prob=0.1,
    score_key='accuracy/top1',
    flops_range=(None, 0.83),  # MFLOPs per 8x8 image (the space: 0.68-0.98)
    input_shape=(3, 8, 8),
    calibrate_batches=8)
