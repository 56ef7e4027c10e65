# Evolution search over the ImageNet supernet (SPOS / MMRazor setting):
# 20 generations, population 50, top 10, 25 mutations + 25 crossovers,
# mutation probability 0.1, FLOPs <= 330 M; BN re-estimated on 2 x 2048
# training images per candidate, scored on the validation set.
#   sh tools/slurm_search.sh $PARTITION $JOB \
#       configs/nas/spos/spos_shufflenetv2_evolution_search_8xb2048_in1k.py \
#       $STEP1_CKPT --work-dir $WORK_DIR
_base_ = ['./spos_shufflenetv2_supernet_8xb128_in1k.py']

train_dataloader = dict(batch_size=2048)
val_dataloader = dict(batch_size=2048)

train_cfg = dict(
    _delete_=True,
    type='gml.EvolutionSearchLoop',
    # scored on val_dataloader with val_evaluator (override: dataloader=,
    # evaluator=)
    max_epochs=20,
    num_candidates=50,
    top_k=10,
    num_mutation=25,
    num_crossover=25,
    mutate_prob=0.1,
    score_key='accuracy/top1',
    flops_range=(None, 330),  # MFLOPs at 224x224
    input_shape=(3, 224, 224),
    calibrate_batches=2)
# the supernet's old-toolbox training keys do not apply to a search
runner = None
evaluation = None
checkpoint_config = None
