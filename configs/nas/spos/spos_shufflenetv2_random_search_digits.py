# Random search at the evolution search's budget and scoring data
# (max_epochs x num_candidates = 8 x 12 = 96 candidates), for comparison.
_base_ = ['./spos_shufflenetv2_evolution_search_digits.py']

train_cfg = dict(
    _delete_=True,
    type='gml.RandomSearchLoop',
    dataloader={{_base_.score_dataloader}},
    max_epochs={{_base_.train_cfg.max_epochs}},
    num_candidates={{_base_.train_cfg.num_candidates}},
    top_k={{_base_.train_cfg.top_k}},
    score_key={{_base_.train_cfg.score_key}},
    flops_range={{_base_.train_cfg.flops_range}},
    input_shape={{_base_.train_cfg.input_shape}},
    calibrate_batches={{_base_.train_cfg.calibrate_batches}})
