import pytest

from gml.config.overrides import ConfigError
from gml.config.loading import load_config


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


def test_index_key_reaches_into_a_tuple(tmp_path):
    # the seed's KD configs write `distill_cfg = dict(...),`: a tuple, which
    # mmengine's merge cannot index; the loss weight must still be set
    path = write(tmp_path, 'c.py', (
        "teacher = dict(head=dict(loss=dict(type='FTLoss', loss_weight=10.)"
        "),\n    student_module='neck'),\n"
        "algorithm = dict(type='X', model=dict(type='Y'),\n"
        "                 distiller=dict(distill_cfg=teacher))\n"))
    cfg = load_config(path, {
        'algorithm.distiller.distill_cfg.0.head.loss.loss_weight': 3.0})
    entry, = cfg.model.distiller.distill_cfg
    assert entry['head']['loss'] == dict(type='FTLoss', loss_weight=3.0)
    assert entry['student_module'] == 'neck'
    with pytest.raises(ConfigError, match='distill_cfg.1.head.*does not '
                       'fit the config: .*Index 1 exceeds'):
        load_config(path, {'algorithm.distiller.distill_cfg.1.head': {}})


def test_config_without_model(tmp_path):
    path = write(tmp_path, 'c.py', 'x = 1\n')
    with pytest.raises(ConfigError, match='neither `model` nor `algorithm`'):
        load_config(path)


# -- overrides in both dialects ------------------------------------------
NET = '''
model = dict(
    type='mmcls.ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=4,
                  base_channels=4),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=32))
'''
DISTILL = """dict(type='TeacherStudentDistillation', model={net},
    distiller=dict(type='TeacherDistiller', teacher={net}, distill_cfg=[dict(
        student_module='head.fc', teacher_module='head.fc',
        head=dict(type='DistillationHead', name='kd',
                  loss=dict(type='KDLoss')))]))
"""
# the old toolbox's dialect: `model` is the network, `algorithm` wraps it
LEGACY = NET + 'algorithm = ' + DISTILL.format(net='model')
# mmengine's: `model` is what the Runner builds
MMENGINE = NET.replace('model = dict(', 'net = dict(') + 'model = ' + \
    DISTILL.format(net='net')


@pytest.mark.parametrize('text', [LEGACY, MMENGINE],
                         ids=['legacy', 'mmengine'])
def test_algorithm_overrides_reach_the_algorithm(tmp_path, text):
    from gml.registry import MODELS
    path = write(tmp_path, 'c.py', text)
    cfg = load_config(path, {'algorithm.pretrained': 'x/latest.pth',
                             'algorithm.model.head.num_classes': 7})
    assert 'algorithm' not in cfg
    assert cfg.model.pretrained == 'x/latest.pth'
    algo = MODELS.build(cfg.model)
    assert algo.pretrained == 'x/latest.pth'
    assert algo.architecture.head.num_classes == 7


def test_legacy_model_override_lands_where_the_model_lives(tmp_path):
    """In an old-toolbox config `model` is the network the algorithm
    copied; overriding it changes the algorithm's copy."""
    from gml.registry import MODELS
    path = write(tmp_path, 'c.py', LEGACY)
    cfg = load_config(path, {'model.head.num_classes': 7})
    assert cfg.model.type == 'TeacherStudentDistillation'
    assert MODELS.build(cfg.model).architecture.head.num_classes == 7


def test_mmengine_model_override_is_the_algorithm(tmp_path):
    path = write(tmp_path, 'c.py', MMENGINE)
    cfg = load_config(path, {'model.model.head.num_classes': 7,
                             'model.pretrained': 'p.pth'})
    assert cfg.model.model.head.num_classes == 7
    assert cfg.model.pretrained == 'p.pth'


def test_legacy_model_override_without_algorithm_model_is_refused(tmp_path):
    path = write(tmp_path, 'c.py', NET + "algorithm = dict(type='X')\n")
    with pytest.raises(ConfigError, match='override algorithm.head.x'):
        load_config(path, {'model.head.x': 1})


def test_override_of_a_key_nothing_reads_is_refused(tmp_path):
    path = write(tmp_path, 'c.py', NET)
    with pytest.raises(ConfigError, match="'randomnes'.*'randomness'"):
        load_config(path, {'randomnes.seed': 1})
    # keys mmengine's Runner reads are fine even when the file lacks them
    assert load_config(path, {'randomness.seed': 1}).randomness.seed == 1


def test_runner_keys_are_mmengines():
    import inspect

    from mmengine.runner import Runner

    from gml.config.loading import RUNNER_KEYS
    params = set(inspect.signature(Runner.__init__).parameters) - {
        'self', 'cfg'}
    assert params <= set(RUNNER_KEYS)


def test_every_shipped_config_takes_algorithm_overrides(repo_root):
    """`algorithm.*` lands in the model the Runner builds, whatever the
    file's dialect (a plain network's config included)."""
    import glob
    paths = [p for p in glob.glob(f'{repo_root}/configs/**/*.py',
                                  recursive=True) if '/_base_/' not in p]
    assert len(paths) > 20
    for path in paths:
        cfg = load_config(path, {'algorithm.init_cfg': dict(
            type='Pretrained', checkpoint='marker.pth')})
        assert cfg.model.init_cfg.checkpoint == 'marker.pth', path


# -- evaluation (old toolbox) --------------------------------------------
EPOCHS = NET + '''
runner = dict(type='EpochBasedRunner', max_epochs=3)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))
'''


def test_evaluation_metric_and_interval_are_honoured(tmp_path):
    path = write(tmp_path, 'c.py', EPOCHS + '''
evaluation = dict(interval=2, metric=['accuracy', 'precision'],
                  by_epoch=True, save_best='auto')
''')
    cfg = load_config(path)
    assert cfg.train_cfg.val_interval == 2
    kinds = {e.type: e for e in cfg.val_evaluator}
    assert tuple(kinds['Accuracy'].topk) == (1, 5)  # the config's own
    assert kinds['SingleLabelMetric']['items'] == ['precision']
    assert cfg.default_hooks.checkpoint.save_best == 'auto'


def test_evaluation_by_epoch_must_match_the_runner(tmp_path):
    path = write(tmp_path, 'c.py', EPOCHS + '''
evaluation = dict(interval=100, by_epoch=False)
''')
    with pytest.raises(ConfigError, match='evaluation.by_epoch=False.*'
                       'epochs'):
        load_config(path)


def test_unknown_evaluation_key_and_metric_are_refused(tmp_path):
    path = write(tmp_path, 'c.py', EPOCHS + 'evaluation = dict(foo=1)\n')
    with pytest.raises(ConfigError, match='evaluation.foo'):
        load_config(path)
    path = write(tmp_path, 'd.py',
                 EPOCHS + "evaluation = dict(metric='mAp')\n")
    with pytest.raises(ConfigError, match="evaluation.metric.*'mAp'"):
        load_config(path)


@pytest.mark.parametrize('text, key', [(LEGACY, 'algorithm.distiller'),
                                       (MMENGINE, 'model.distiller')],
                         ids=['legacy', 'mmengine'])
def test_build_errors_name_the_key_as_the_file_spells_it(tmp_path, text,
                                                         key):
    """The tools pass ``user_key`` to the explainer (the explainer does not
    import the config module back): a legacy file's error names
    ``algorithm.*``, an mmengine file's ``model.*``."""
    from mmengine.registry import MODELS as ROOT_MODELS
    from mmengine.registry import DefaultScope

    from gml.registry.build_errors import explain_build_error
    from gml.config.loading import user_key
    path = write(tmp_path, 'c.py', text.replace(
        "type='TeacherDistiller',", "type='TeacherDistiller', tau=2,"))
    cfg = load_config(path)
    # mmengine's root registry: nothing is explained before the explainer
    with pytest.raises(TypeError) as info, \
            DefaultScope.overwrite_default_scope('gml'):
        ROOT_MODELS.build(cfg.model)
    error = explain_build_error(info.value, cfg,
                                name_key=lambda p: user_key(p, cfg))
    assert str(error).startswith(f"{key}.tau: unknown argument 'tau' of "
                                 'gml.TeacherDistiller')
    plain = explain_build_error(info.value, cfg)
    assert str(plain).startswith('model.distiller.tau: unknown argument')
