# Evolution search over the digits supernet (tools/search.py CONFIG CKPT).
# Budget: max_epochs x num_candidates = 8 x 12 = 96 evaluated subnets of the
# 1,024 (77 % are under the FLOPs limit), each scored on 1,440 val
# images after re-estimating BN on 4 training batches.
_base_ = ['./spos_shufflenetv2_supernet_digits.py']

score_dataloader = dict(
    batch_size=360,
    num_workers=0,
    dataset=dict(type='gml.ClutteredDigitsDataset', split='val', copies=4,
                 canvas_size=16, num_clutter=2, clutter_size=3, seed=0,
                 pipeline=[dict(type='mmpretrain.PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=False))

train_cfg = dict(
    _delete_=True,
    type='gml.EvolutionSearchLoop',
    # scored with val_evaluator on four placements of every val digit
    # (1,440 images: finer and steadier scores than the 360 of val)
    dataloader=score_dataloader,
    max_epochs=8,
    num_candidates=12,
    top_k=6,
    num_mutation=6,
    num_crossover=4,
    mutate_prob=0.2,  # 5 blocks: about one re-drawn block per mutant
    score_key='accuracy/top1',
    flops_range=(None, 1.45),  # MFLOPs per 16x16 image (space: 1.21-1.60)
    input_shape=(3, 16, 16),
    calibrate_batches=4)
