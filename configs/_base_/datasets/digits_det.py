# Digits detection: 1-4 embedded digits per 64x64 canvas, COCO format,
# train/val/test = 600/100/200 images (1524/251/473 boxes). Write it once:
#   python tools/dataset_converters/make_digits_det.py
# Read by mmdet's CocoDataset, scored by mmdet's CocoMetric (pycocotools).
dataset_type = 'mmdet.CocoDataset'
data_root = 'data/digits_det/'
metainfo = dict(classes=tuple(str(i) for i in range(10)))
data_preprocessor = dict(
    type='mmdet.DetDataPreprocessor',
    mean=[0., 0., 0.],
    std=[255., 255., 255.],
    bgr_to_rgb=False,
    pad_size_divisor=32)

# no flips: a mirrored digit is another symbol
train_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.PackDetInputs'),
]
test_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    # a no-op at 64x64 that records the scale_factor predict() rescales by
    dict(type='mmdet.Resize', scale=(64, 64), keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor')),
]


def _split(split, pipeline, test_mode):
    return dict(type=dataset_type, data_root=data_root, metainfo=metainfo,
                ann_file=f'annotations/{split}.json',
                data_prefix=dict(img=f'{split}/'), test_mode=test_mode,
                filter_cfg=dict(filter_empty_gt=not test_mode, min_size=1),
                pipeline=pipeline)


train_dataloader = dict(
    batch_size=16, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='mmdet.AspectRatioBatchSampler'),
    dataset=_split('train', train_pipeline, False))
val_dataloader = dict(
    batch_size=50, num_workers=0, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_split('val', test_pipeline, True))
test_dataloader = dict(
    batch_size=50, num_workers=0, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_split('test', test_pipeline, True))
val_evaluator = dict(type='mmdet.CocoMetric',
                     ann_file=data_root + 'annotations/val.json',
                     metric='bbox', format_only=False)
test_evaluator = dict(type='mmdet.CocoMetric',
                      ann_file=data_root + 'annotations/test.json',
                      metric='bbox', format_only=False)
del _split
