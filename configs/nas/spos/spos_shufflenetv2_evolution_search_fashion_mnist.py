# Evolution search over the Fashion-MNIST supernet (tools/search.py CONFIG
# CKPT). Budget: 8 x 16 = 128 evaluated subnets of 1.0e8, each scored on
# the 5,000 held-out val images (never the test split) after re-estimating
# BN on 4 training batches; only subnets under 0.1 M params count.
_base_ = ['./spos_shufflenetv2_supernet_fashion_mnist.py']

score_dataloader = {{_base_.val_dataloader}}

train_cfg = dict(
    _delete_=True,
    type='gml.EvolutionSearchLoop',
    dataloader=score_dataloader,
    max_epochs=8,
    num_candidates=16,
    top_k=8,
    num_mutation=8,
    num_crossover=4,
    mutate_prob=0.1,  # 12 blocks: about one re-drawn block per mutant
    score_key='accuracy/top1',
    params_range=(None, 0.1),  # M params (space: 0.074-0.134)
    input_shape=(1, 28, 28),
    calibrate_batches=4)
