# The old toolbox's ImageNet-1k base (mmcls 0.x: 128 images per GPU, SPOS's
# colour jitter), under its old name; mmengine style, on top of
# ../imagenet_bs32.py (data/imagenet/{train,val}).
_base_ = ['../imagenet_bs32.py']

train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=224),
    dict(type='mmpretrain.ColorJitter', brightness=0.4, contrast=0.4,
         saturation=0.4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(
    batch_size=128, num_workers=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=128, num_workers=8)
test_dataloader = val_dataloader
