# A tiny SPOS search for tests: 4 choice blocks (4^4 = 256 subnets) on the
# embedded digits, 64 validation images, 2 calibration batches.
_base_ = [
    '../../configs/_base_/datasets/digits.py',
    '../../configs/_base_/default_runtime.py',
]
model = dict(
    type='mmcls.ImageClassifier',
    backbone=dict(
        type='gml.ShuffleNetV2_OneShot', widen_factor=0.25, stem_channels=8,
        stem_stride=1, stem_pool=False, stage_blocks=(1, 1, 1, 1),
        strides=(1, 2, 2, 1), last_channels=32, norm_cfg=dict(type='BN')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=32,
              loss=dict(type='CrossEntropyLoss'), topk=(1, )),
)
algorithm = dict(type='gml.SPOS', model=model,
                 mutator=dict(type='gml.StatelessMutator'))
val_dataloader = dict(batch_size=16, dataset=dict(indices=64))
# the Runner wants one with a train_dataloader; the search does not use it
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
train_cfg = dict(
    type='gml.EvolutionSearchLoop',
    max_epochs=2, num_candidates=4, num_mutation=1, num_crossover=1,
    top_k=2, mutate_prob=0.3, input_shape=(3, 8, 8), calibrate_batches=2)
val_cfg = dict(type='gml.SubnetValLoop', calibrate_batches=2)
test_cfg = dict(type='gml.SubnetTestLoop', calibrate_batches=2)
randomness = dict(seed=7)
default_hooks = dict(logger=dict(interval=1))
