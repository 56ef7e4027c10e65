# Cluttered digits (gml.ClutteredDigitsDataset): each embedded 8x8 digit at a
# seeded random position on a 16x16 canvas with two 3x3 fragments of other
# digits, generated at load time (no download). Training holds six
# placements of each of the 1078 training digits (6468 images); val/test one
# of each (360/359). Where the digit is and which strokes belong to it make
# receptive field and kernel size matter, unlike on the plain 8x8 digits.
dataset_type = 'gml.ClutteredDigitsDataset'
clutter = dict(canvas_size=16, num_clutter=2, clutter_size=3, seed=0)
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=10,
    mean=[25.6, 25.6, 25.6],
    std=[66.4, 66.4, 66.4],
    to_rgb=False,
)

train_pipeline = [dict(type='mmpretrain.PackInputs')]
test_pipeline = [dict(type='mmpretrain.PackInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    dataset=dict(type=dataset_type, split='train', copies=6,
                 pipeline=train_pipeline, **clutter),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(type=dataset_type, split='val', pipeline=test_pipeline,
                 **clutter),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(type=dataset_type, split='test', pipeline=test_pipeline,
                 **clutter),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
