# Random search at the evolution search's budget and scoring data
# (8 x 16 = 128 candidates under 0.1 M params), for comparison.
_base_ = ['./spos_shufflenetv2_evolution_search_fashion_mnist.py']

train_cfg = dict(
    _delete_=True,
    type='gml.RandomSearchLoop',
    dataloader={{_base_.score_dataloader}},
    max_epochs={{_base_.train_cfg.max_epochs}},
    num_candidates={{_base_.train_cfg.num_candidates}},
    top_k={{_base_.train_cfg.top_k}},
    score_key={{_base_.train_cfg.score_key}},
    params_range={{_base_.train_cfg.params_range}},
    input_shape={{_base_.train_cfg.input_shape}},
    calibrate_batches={{_base_.train_cfg.calibrate_batches}})
