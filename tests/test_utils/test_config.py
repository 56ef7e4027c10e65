import pytest

from gml.utils.cfg_options import ConfigError
from gml.utils.config import load_config


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_legacy_keys_are_translated(tmp_path):
    path = write(tmp_path, 'legacy.py', '''
model = dict(type='mmcls.ImageClassifier', backbone=dict(type='ResNet', depth=18))
algorithm = dict(type='gml.SPOS', model=model, mutator=dict(type='gml.StateslessMutator'))
runner = dict(type='IterBasedRunner', max_iters=150000)
evaluation = dict(interval=1000, metric='accuracy', by_epoch=False)
checkpoint_config = dict(interval=1000)
find_unused_parameters = True
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
''')
    cfg = load_config(path, {'algorithm.mutable_cfg': 'subnet.yaml'})
    assert cfg.model.type == 'gml.SPOS'
    assert cfg.model.mutable_cfg == 'subnet.yaml'
    assert 'algorithm' not in cfg
    # the inner classifier builds in mmpretrain's scope
    assert cfg.model.model._scope_ == 'mmpretrain'
    assert cfg.model.model.type == 'ImageClassifier'
    assert cfg.train_cfg == dict(by_epoch=False, max_iters=150000,
                                 val_interval=1000)
    assert cfg.default_hooks.checkpoint.interval == 1000
    assert cfg.default_hooks.checkpoint.by_epoch is False
    assert cfg.model_wrapper_cfg.find_unused_parameters is True
    assert cfg.default_scope == 'gml'


def test_env_vars_are_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv('PRETRAIN_WORK_DIR', '/data/pre')
    monkeypatch.delenv('GML_UNSET_VAR', raising=False)
    path = write(tmp_path, 'env.py', '''
model = dict(type='X', pretrained='${PRETRAIN_WORK_DIR}/latest.pth',
             other='${GML_UNSET_VAR}/a')
''')
    cfg = load_config(path)
    assert cfg.model.pretrained == '/data/pre/latest.pth'
    assert cfg.model.other == '${GML_UNSET_VAR}/a'


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match='nope.py.*does not exist'):
        load_config(str(tmp_path / 'nope.py'))


def test_unreadable_file_is_named(tmp_path):
    path = write(tmp_path, 'broken.py', 'model = dict(type=\n')
    with pytest.raises(ConfigError, match='broken.py.*cannot be read'):
        load_config(path)


def test_option_that_does_not_fit_names_key(tmp_path):
    path = write(tmp_path, 'c.py', "model = dict(type='X', depth=18)\n")
    with pytest.raises(ConfigError, match='model.depth.foo'):
        load_config(path, {'model.depth.foo': 1})


def test_config_without_model(tmp_path):
    path = write(tmp_path, 'c.py', 'x = 1\n')
    with pytest.raises(ConfigError, match='neither `model` nor `algorithm`'):
        load_config(path)
