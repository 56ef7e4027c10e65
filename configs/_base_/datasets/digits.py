# The UCI handwritten digits embedded in gml (8x8 grayscale, 10 classes):
# train/val/test = 1078/360/359, no download needed.
dataset_type = 'gml.DigitsDataset'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=10,
    mean=[40.0, 40.0, 40.0],
    std=[75.0, 75.0, 75.0],
    to_rgb=False,
)

train_pipeline = [dict(type='mmpretrain.PackInputs')]
test_pipeline = [dict(type='mmpretrain.PackInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    dataset=dict(type=dataset_type, split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(type=dataset_type, split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(type=dataset_type, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
