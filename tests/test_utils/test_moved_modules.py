"""Modules that moved (out of gml.utils, gml.deploy.cli, the morphism
genotypes) keep their old import paths: users' scripts import them
(issue 25's compatibility)."""
import importlib

import pytest

MOVED = {
    'gml.utils.config': 'gml.config.loading',
    'gml.utils.cfg_options': 'gml.config.overrides',
    'gml.utils.eval_metrics': 'gml.config.legacy_metrics',
    'gml.utils.scopes': 'gml.registry.scopes',
    'gml.utils.build_errors': 'gml.registry.build_errors',
    'gml.utils.cli': 'gml.apis.cli',
    'gml.deploy.cli': 'gml.apis.deploy_tools',
}
# morphism: the fx surgery is a task module, the genotype mutator a mutator
from gml.models.morphism import MOVED as _MODEL_MORPHISM_MOVED  # noqa: E402

for _name, _new in _MODEL_MORPHISM_MOVED.items():
    MOVED[f'gml.models.morphism.{_name}'] = _new
# engine/ by concept: strategies, scoring, dispatch, estimators, reports
from gml.engine.morphism import MOVED as _MORPHISM_MOVED  # noqa: E402
from gml.engine.search import MOVED as _SEARCH_MOVED  # noqa: E402

for _old_pkg, _moved in (('search', _SEARCH_MOVED),
                         ('morphism', _MORPHISM_MOVED)):
    for _name, _pkg in _moved.items():
        MOVED[f'gml.engine.{_old_pkg}.{_name}'] = f'gml.engine.{_pkg}.{_name}'


@pytest.mark.parametrize('old, new', sorted(MOVED.items()))
def test_old_path_is_the_new_module(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)


def test_old_from_imports_and_package_exports_work():
    from gml.utils import load_config, normalize_scopes, parse_cfg_options
    from gml.utils.cli import ToolSession
    from gml.utils.config import load_config as old_load, user_key
    from gml.config import load_config as new_load
    assert old_load is load_config is new_load
    assert user_key.__module__ == 'gml.config.loading'
    assert ToolSession.__module__ == 'gml.apis.cli'
    assert normalize_scopes.__module__ == 'gml.registry.scopes'
    assert parse_cfg_options(['a.b=1']) == {'a.b': 1}


def test_engine_moves_keep_old_imports_and_registrations():
    from gml.engine.search.breeding import QuotaBreeding
    from gml.engine.search import SubnetResourceEstimator, build_executor
    from gml.engine.morphism import train_epochs
    from gml.registry import TASK_UTILS
    assert QuotaBreeding.__module__ == 'gml.engine.strategies.breeding'
    assert SubnetResourceEstimator.__module__ == \
        'gml.engine.estimators.resource_estimator'
    assert build_executor.__module__ == 'gml.engine.dispatch.executors'
    assert train_epochs.__module__ == 'gml.engine.scoring.child_trainer'
    assert TASK_UTILS.get('gml.QuotaBreeding') is QuotaBreeding
