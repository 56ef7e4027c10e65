# Random search at the evolution search's budget (4 x 12 = 48 candidates),
# for comparison.
_base_ = ['./spos_shufflenetv2_supernet_digits.py']

train_cfg = dict(
    _delete_=True,
    type='gml.RandomSearchLoop',
    # scored on val_dataloader with val_evaluator (override: dataloader=,
    # evaluator=)
    max_epochs=4,
    num_candidates=12,
    top_k=4,
    score_key='accuracy/top1',
    flops_range=(None, 1.45),
    input_shape=(3, 16, 16),
    calibrate_batches=4)
