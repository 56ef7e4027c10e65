"""gml.deploy.model_config: which float model, preprocessor and input shape
a config describes to the deployment tools."""
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from gml.deploy.model_config import (build_quantizer, config_scope,
                                     float_model_cfg, input_shape,
                                     is_qat_config, preprocessing_metadata)
from gml.deploy import build_float_model
from gml.utils.errors import ConfigError

from ..test_models.test_quantizers.tiny_qat import tiny_config

CLASSIFIER = dict(type='mmpretrain.ImageClassifier',
                  backbone=dict(type='mmpretrain.ResNet_CIFAR', depth=18))
PRE = dict(type='mmpretrain.ClsDataPreprocessor', mean=[1.0], std=[2.0])


def test_qat_config_yields_its_float_model_with_the_outer_preprocessor():
    cfg = Config(dict(model=dict(type='gml.QAT', model=CLASSIFIER,
                                 data_preprocessor=PRE,
                                 input_shape=(1, 8, 8))))
    assert is_qat_config(cfg)
    model = float_model_cfg(cfg)
    assert model['type'] == 'mmpretrain.ImageClassifier'
    assert model['data_preprocessor'] == PRE
    assert input_shape(cfg) == (1, 8, 8)
    assert cfg.model['model'].get('data_preprocessor') is None  # untouched


def test_plain_config_takes_the_top_level_preprocessor():
    cfg = Config(dict(model=CLASSIFIER, data_preprocessor=PRE))
    assert not is_qat_config(cfg)
    assert float_model_cfg(cfg)['data_preprocessor'] == PRE


def test_plain_config_needs_an_input_shape_and_says_which_key():
    cfg = Config(dict(model=CLASSIFIER))
    with pytest.raises(ConfigError, match='--input-shape C H W is needed'):
        input_shape(cfg)
    assert input_shape(cfg, (3, 32, 32)) == (3, 32, 32)
    with pytest.raises(ConfigError, match=r'--shape: expected C H W, got '
                       r'\(32, 32\)'):
        input_shape(cfg, (32, 32), key='--shape')


def test_preprocessing_metadata_is_what_the_model_normalizes_with():
    model = build_float_model(tiny_config())
    meta = preprocessing_metadata(model)
    pre = model.data_preprocessor
    assert meta['mean'] == [float(v) for v in pre.mean.flatten()]
    assert meta['std'] == [float(v) for v in pre.std.flatten()]
    assert len(meta['mean']) == 3 and meta['to_rgb'] == bool(pre.to_rgb)


def test_quantizer_defaults_to_gml_int8_recipe():
    plain = build_quantizer(Config(dict(model=CLASSIFIER)))
    assert type(plain).__name__ == 'Int8Quantizer'
    cfg = tiny_config()
    assert type(build_quantizer(cfg)).__name__ == \
        cfg.model['quantizer']['type'].split('.')[-1]


@pytest.mark.parametrize('named, expected', [(None, 'gml'),
                                             ('mmpretrain', 'mmpretrain')])
def test_config_scope_is_the_configs_whatever_scope_is_current(named,
                                                                expected):
    cfg = Config(dict(model=CLASSIFIER, default_scope=named))
    with DefaultScope.overwrite_default_scope('mmengine'):
        with config_scope(cfg):
            assert DefaultScope.get_current_instance().scope_name == expected
        assert DefaultScope.get_current_instance().scope_name == 'mmengine'
