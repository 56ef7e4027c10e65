# What the digits-detection YOLOv3s share: data, head, schedule, runtime.
# Objects are 3-28 px on 64x64 canvases, so the anchors are small.
_base_ = [
    '../../../../_base_/datasets/digits_det.py',
    '../../../../_base_/default_runtime.py',
]

yolo_head = dict(
    type='mmdet.YOLOV3Head',
    num_classes=10,
    anchor_generator=dict(
        type='mmdet.YOLOAnchorGenerator',
        base_sizes=[[(28, 28), (18, 28), (28, 18)],
                    [(16, 16), (10, 18), (18, 12)],
                    [(8, 8), (6, 12), (12, 8)]],
        strides=[32, 16, 8]),
    bbox_coder=dict(type='mmdet.YOLOBBoxCoder'),
    featmap_strides=[32, 16, 8],
    loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True,
                  loss_weight=1.0, reduction='sum'),
    loss_conf=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True,
                   loss_weight=1.0, reduction='sum'),
    loss_xy=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True,
                 loss_weight=2.0, reduction='sum'),
    loss_wh=dict(type='mmdet.MSELoss', loss_weight=2.0, reduction='sum'))
yolo_train_cfg = dict(assigner=dict(
    type='mmdet.GridAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
    min_pos_iou=0))
yolo_test_cfg = dict(nms_pre=1000, min_bbox_size=0, score_thr=0.05,
                     conf_thr=0.005, nms=dict(type='nms', iou_threshold=0.45),
                     max_per_img=100)

model = dict(
    type='mmdet.YOLOV3',
    data_preprocessor={{_base_.data_preprocessor}},
    bbox_head=yolo_head,
    train_cfg=yolo_train_cfg,
    test_cfg=yolo_test_cfg)

max_epochs = 24
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=5e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=max_epochs,
         convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(save_best=None, max_keep_ckpts=1))
