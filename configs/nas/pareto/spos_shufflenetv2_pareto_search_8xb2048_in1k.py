# Pareto search over the ImageNet supernet: top-1 (max) against latency on
# the searching GPU (batch 1, min) and FLOPs (min), 20 generations x 50.
# Latency is timed on rank 0's device: search on the GPU you deploy on.
#   sh tools/slurm_search.sh $PARTITION $JOB \
#       configs/nas/pareto/spos_shufflenetv2_pareto_search_8xb2048_in1k.py \
#       $STEP1_CKPT --work-dir $WORK_DIR
_base_ = ['../spos/spos_shufflenetv2_supernet_8xb128_in1k.py']

train_dataloader = dict(batch_size=2048)
val_dataloader = dict(batch_size=2048)

train_cfg = dict(
    _delete_=True,
    type='gml.ParetoSearchLoop',
    max_epochs=20,
    num_candidates=50,
    top_k=10,
    objectives=dict(score='max', latency_ms='min', flops_M='min'),
    crossover_prob=0.5,
    mutate_prob=0.1,
    # MFLOPs at 224x224 (a random subnet of this space counts ~329:
    # tools/benchmark/nas_flops_estimation.py)
    flops_range=(None, 400),
    # latency on rank 0's CPU in onnxruntime; runtime='pytorch' times eager
    # PyTorch on its GPU instead, for a model deployed that way
    latency=dict(batch_size=1, warmup=20, repeats=20, rounds=5,
                 calibrate_subnets=3, check_subnets=10,
                 runtime='onnxruntime'),
    predictor=dict(
        models=dict(score=dict(type='RandomForestRegressor',
                               n_estimators=200)),
        pool_factor=4),
    score_key='accuracy/top1',
    input_shape=(3, 224, 224),
    calibrate_batches=2)
# the supernet's old-toolbox training keys do not apply to a search
runner = None
evaluation = None
checkpoint_config = None
