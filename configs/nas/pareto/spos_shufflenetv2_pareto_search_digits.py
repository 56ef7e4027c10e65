# Pareto search over the digits supernet: validation top-1 (max) against
# measured latency (min, batch 1, onnxruntime on this machine's CPU) and
# FLOPs (min).
#   python tools/search.py configs/nas/pareto/spos_shufflenetv2_pareto_search_digits.py \
#       SUPERNET.pth --work-dir WORK_DIR
# Budget: max_epochs x num_candidates = 8 x 16 = 128 scored subnets, as the
# single-objective digits searches.
_base_ = ['../spos/spos_shufflenetv2_supernet_digits.py']

train_cfg = dict(
    _delete_=True,
    type='gml.ParetoSearchLoop',
    # scored on val_dataloader with val_evaluator (override: dataloader=,
    # evaluator=)
    max_epochs=8,
    num_candidates=16,
    top_k=5,
    objectives=dict(score='max', latency_ms='min', flops_M='min'),
    crossover_prob=0.5,
    mutate_prob=0.1,
    # hard limits still apply (None = open end): flops_range/params_range
    # in millions, latency_range in ms
    flops_range=None,
    # per-op latency table in the deployed runtime (onnxruntime, CPU),
    # measured once on this machine (batch 1, one thread under
    # OMP_NUM_THREADS=1 -> the thread clock) and cached in
    # WORK_DIR/latency_lut.json; checked against whole-subnet timings
    latency=dict(batch_size=1, warmup=5, repeats=10, rounds=5,
                 calibrate_subnets=3, check_subnets=5,
                 runtime='onnxruntime'),
    # POPNAS-style screening: breed 4x the offspring, score the 16 that a
    # random forest fitted on all scored subnets predicts nearest the front
    predictor=dict(
        models=dict(score=dict(type='RandomForestRegressor',
                               n_estimators=100)),
        pool_factor=4),
    score_key='accuracy/top1',
    input_shape=(3, 16, 16),  # the cluttered-digits canvas
    calibrate_batches=8)
