"""gml's registries resolve every scope a config may name."""
import pytest
import torch
from mmengine.registry import DefaultScope

from gml.registry import DATASETS, MODELS, TRANSFORMS
from gml.utils.errors import ConfigError

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


@pytest.mark.detection
def test_mmdet_scope_builds_detector_parts():
    from mmdet.models.necks import YOLOV3Neck
    neck = MODELS.build(dict(type='mmdet.YOLOV3Neck', num_scales=3,
                             in_channels=[32, 16, 8],
                             out_channels=[16, 8, 4]))
    assert type(neck) is YOLOV3Neck


@pytest.mark.detection
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


def test_get_keeps_mmengine_contract():
    """Unknown keys give None, so mmengine's roots can ask gml's child."""
    from mmengine.registry import DATA_SAMPLERS as ROOT_SAMPLERS
    from mmengine.registry import MODELS as ROOT_MODELS
    assert MODELS.get('NoSuchNet') is None
    assert MODELS.get('gml.NoSuchNet') is None
    assert MODELS.get('mmcls.NoSuchNet') is None
    assert 'NoSuchNet' not in MODELS
    assert 'gml.Nope' not in ROOT_SAMPLERS
    assert ROOT_MODELS.get('gml.NoSuchNet') is None
    assert 'gml.SPOS' in ROOT_MODELS and 'mmcls.ResNet' in MODELS


def test_unknown_type_at_build_names_scopes_and_closest():
    with pytest.raises(ConfigError) as err:
        MODELS.build(dict(type='ResNet_CIFR', depth=18))
    msg = str(err.value)
    assert msg.startswith("model.type: 'ResNet_CIFR' is not a registered")
    for word in ('gml', 'mmengine', 'mmpretrain', 'mmdet', "'ResNet_CIFAR'"):
        assert word in msg


def test_unknown_nested_type_names_its_key():
    with pytest.raises(ConfigError, match=r"^model\.backbone\.type: "
                       r"'NoSuchNet' is not a registered model type"):
        MODELS.build(dict(type='mmcls.ImageClassifier',
                          backbone=dict(type='NoSuchNet'), **CLS_TAIL))


def test_unknown_scoped_type_names_its_scope():
    with pytest.raises(ConfigError) as err:
        MODELS.build(dict(type='mmcls.NoSuchNet'))
    assert 'NoSuchNet' in str(err.value) and 'mmpretrain' in str(err.value)


def test_misspelled_argument_names_closest_valid_one():
    """``depht`` reaches ResNet.__init__ through ResNet_CIFAR's **kwargs."""
    with pytest.raises(ConfigError) as err:
        MODELS.build(dict(type='mmcls.ImageClassifier',
                          backbone=dict(BACKBONE, depht=18), **CLS_TAIL))
    assert str(err.value) == (
        "model.backbone.depht: unknown argument 'depht' of "
        "mmpretrain.ResNet_CIFAR; did you mean 'depth'?")


def test_internal_type_error_keeps_its_type():
    """A TypeError that is not about the config's arguments stays one."""
    from gml.registry import MODELS as GML_MODELS

    @GML_MODELS.register_module(force=True)
    class _Broken:

        def __init__(self, x=1):
            len(x)  # a bug, not a config mistake

    with pytest.raises(TypeError, match='has no len'):
        GML_MODELS.build(dict(type='_Broken'))


def test_build_leaves_no_default_scope_behind():
    def scope():
        current = DefaultScope.get_current_instance()
        return None if current is None else current.scope_name

    before = scope()
    MODELS.build(dict(type='mmcls.ImageClassifier', backbone=BACKBONE,
                      **CLS_TAIL))
    assert scope() == before


def test_gml_types_build_under_another_current_scope():
    """A Runner made with default_scope='mmengine' leaves that scope
    current; gml's registry still finds gml's unscoped types."""
    with DefaultScope.overwrite_default_scope('mmengine'):
        spos = MODELS.build(dict(
            type='SPOS', model=dict(
                type='mmcls.ImageClassifier',
                backbone=dict(type='gml.ShuffleNetV2_OneShot',
                              widen_factor=0.5),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=10,
                          in_channels=1024))))
        assert DefaultScope.get_current_instance().scope_name == 'mmengine'
    assert type(spos).__name__ == 'SPOS'


def test_mmcv_layer_configs_get_no_scope():
    """`norm_cfg=dict(type='BN')` goes to mmcv's build_norm_layer, which
    rejects a `_scope_` key; only zoo-registered types get one."""
    from gml.registry.scopes import normalize_scopes
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
