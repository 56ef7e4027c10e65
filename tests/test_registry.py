"""gml's registries resolve every scope a config may name."""
import pytest
import torch
from mmengine.registry import DefaultScope

from gml.registry import DATASETS, MODELS, TRANSFORMS

CLS_TAIL = dict(
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=128,
              loss=dict(type='LabelSmoothLoss', num_classes=10,
                        label_smooth_val=0.1, mode='original')))
BACKBONE = dict(type='ResNet_CIFAR', depth=18, stem_channels=16,
                base_channels=16)


def _forward(model):
    out = model(torch.rand(2, 3, 8, 8), mode='tensor')
    return out.shape


@pytest.mark.parametrize('cls_type', [
    'mmcls.ImageClassifier', 'mmpretrain.ImageClassifier', 'ImageClassifier'
])
def test_classifier_scopes_build(cls_type):
    from mmpretrain.models import ImageClassifier, LabelSmoothLoss
    model = MODELS.build(dict(type=cls_type, backbone=BACKBONE, **CLS_TAIL))
    assert type(model) is ImageClassifier
    # children resolve in mmpretrain even when written without a scope
    assert isinstance(model.head.loss_module, LabelSmoothLoss)
    assert _forward(model) == (2, 10)


def test_gml_scope_builds_gml_class():
    from gml.datasets import DigitsDataset
    ds = DATASETS.build(dict(type='gml.DigitsDataset', split='val'))
    assert type(ds) is DigitsDataset and len(ds) == 360


def test_legacy_and_new_scopes_give_same_class():
    assert MODELS.get('mmcls.ResNet') is MODELS.get('mmpretrain.ResNet')
    assert TRANSFORMS.get('mmcls.PackInputs') is TRANSFORMS.get(
        'mmpretrain.PackInputs')


def test_mmdet_scope_builds_detector_parts():
    from mmdet.models.necks import YOLOV3Neck
    neck = MODELS.build(dict(type='mmdet.YOLOV3Neck', num_scales=3,
                             in_channels=[32, 16, 8],
                             out_channels=[16, 8, 4]))
    assert type(neck) is YOLOV3Neck


def test_unscoped_mmdet_type_builds_children_in_mmdet():
    """`YOLOV3` only exists in mmdet; its `MobileNetV2` must be mmdet's."""
    from mmdet.models.backbones import MobileNetV2 as DetMobileNetV2
    model = MODELS.build(dict(
        type='YOLOV3',
        backbone=dict(type='MobileNetV2', out_indices=(2, 4, 6)),
        neck=dict(type='YOLOV3Neck', num_scales=3, in_channels=[320, 96, 32],
                  out_channels=[96, 96, 96]),
        bbox_head=dict(type='YOLOV3Head', num_classes=3,
                       in_channels=[96, 96, 96], out_channels=[96, 96, 96])))
    assert type(model.backbone) is DetMobileNetV2


def test_unknown_type_names_type_and_scopes():
    with pytest.raises(KeyError) as err:
        MODELS.build(dict(type='NoSuchNet'))
    msg = str(err.value)
    for word in ('NoSuchNet', 'gml', 'mmengine', 'mmpretrain', 'mmdet'):
        assert word in msg


def test_unknown_scoped_type_names_its_scope():
    with pytest.raises(KeyError) as err:
        MODELS.build(dict(type='mmcls.NoSuchNet'))
    assert 'NoSuchNet' in str(err.value) and 'mmpretrain' in str(err.value)


def test_build_leaves_no_default_scope_behind():
    MODELS.build(dict(type='mmcls.ImageClassifier', backbone=BACKBONE,
                      **CLS_TAIL))
    current = DefaultScope.get_current_instance()
    assert current is None or current.scope_name == 'gml'


def test_mmcv_layer_configs_get_no_scope():
    """`norm_cfg=dict(type='BN')` goes to mmcv's build_norm_layer, which
    rejects a `_scope_` key; only zoo-registered types get one."""
    from gml.utils.scopes import normalize_scopes
    cfg = normalize_scopes(dict(type='YOLOV3', backbone=dict(
        type='MobileNetV2', norm_cfg=dict(type='BN'),
        act_cfg=dict(type='ReLU6'))), MODELS)
    assert cfg['_scope_'] == 'mmdet'
    assert '_scope_' not in cfg['backbone']['norm_cfg']
    model = MODELS.build(dict(
        type='mmcls.ImageClassifier',
        backbone=dict(type='gml.ShuffleNetV2_OneShot', widen_factor=0.5,
                      norm_cfg=dict(type='BN')),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=1024)))
    assert model(torch.rand(2, 3, 32, 32), mode='tensor').shape == (2, 10)
