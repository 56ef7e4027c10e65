# Random search at the evolution search's budget (8 x 16 candidates), for
# comparison.
_base_ = ['./spos_shufflenetv2_supernet_digits.py']

train_cfg = dict(
    _delete_=True,
    type='gml.RandomSearchLoop',
    # scored on val_dataloader with val_evaluator (override: dataloader=,
    # evaluator=)
    max_epochs=8,
    num_candidates=16,
    top_k=5,
    score_key='accuracy/top1',
    flops_range=(None, 0.83),
    input_shape=(3, 8, 8),
    calibrate_batches=8)
