# Fashion-MNIST (28x28 grayscale, 10 classes) on mmpretrain's FashionMNIST,
# through gml.FashionMNISTSplit: train = 55,000 training images, val = the
# other 5,000 (a fixed permutation, seed 0) for search scoring and model
# selection, test = the 10,000 test images, for final figures only.
# Prepare the files first (Debian's dataset-fashion-mnist, else a download):
#   python tools/dataset_converters/prepare_fashion_mnist.py
dataset_type = 'gml.FashionMNISTSplit'
data_root = 'data/fashion_mnist'
split = dict(type=dataset_type, data_root=data_root, val_size=5000, seed=0)
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=10,
    mean=[72.94],  # the training images' pixel mean and std
    std=[90.02],
    to_rgb=False,
)

train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=28, padding=2),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [dict(type='mmpretrain.PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(split='train', pipeline=train_pipeline, **split),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    dataset=dict(split='val', pipeline=test_pipeline, **split),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_dataloader = dict(
    batch_size=500,
    num_workers=0,
    dataset=dict(split='test', pipeline=test_pipeline, **split),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
