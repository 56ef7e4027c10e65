"""gml's registries: children of mmengine's roots, with scope ``gml``.

Configs name a class by ``type='X'`` (looked up in gml, then mmengine, then
the model zoos), or with an explicit scope: ``type='gml.X'``,
``type='mmpretrain.X'``, ``type='mmdet.X'``, and the legacy ``type='mmcls.X'``
that configs written for the old toolbox use (mmcls became mmpretrain).
"""
import sys
from typing import Any

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import DefaultScope, Registry

from gml.utils.checkpoint import allow_mmengine_checkpoint_globals
from .scopes import (LEGACY_SCOPES, ZOO_SCOPES, normalize_scopes,
                              resolve_scope)

# torch >= 2.6 loads checkpoints with weights_only=True, which rejects the
# mmengine objects a Runner stores (its message hub); allow-list exactly those.
allow_mmengine_checkpoint_globals()


class GMLRegistry(Registry):
    """A registry that understands legacy scopes and falls back to the zoos.

    ``get`` keeps mmengine's contract: None for an unknown key, so
    mmengine's own lookups and ``key in registry`` work through gml's
    children. ``build`` is where a mistake is explained: an unknown type
    names the scopes searched and the closest registered names, a
    misspelled argument the closest valid ones (a
    :class:`~gml.utils.errors.ConfigError`).

    Args:
        name, build_func, parent, scope, locations: as mmengine's
            ``Registry``.
    """

    def get(self, key: str) -> Any:
        scope, real_key = self.split_scope_key(key)
        if scope in LEGACY_SCOPES:
            return super().get(f'{resolve_scope(scope)}.{real_key}')
        obj = super().get(key)
        if obj is None and scope is None:
            for zoo in ZOO_SCOPES:
                obj = self._get_from_zoo(zoo, real_key)
                if obj is not None:
                    break
        return obj

    def _get_from_zoo(self, zoo: str, key: str) -> Any:
        try:
            return super().get(f'{zoo}.{key}')
        except ImportError:  # zoo not installed
            return None

    def build(self, cfg, *args, **kwargs) -> Any:
        cfg = normalize_scopes(cfg, self)
        try:
            with _default_scope('gml'):
                return super().build(cfg, *args, **kwargs)
        except Exception as error:
            if _inside_another_build():
                raise  # the outermost build names the full key path
            from .build_errors import explain_build_error
            explained = explain_build_error(error, cfg, root=self.name)
            if explained is None or explained is error:
                raise
            raise explained from error


def _inside_another_build() -> bool:
    """Whether an mmengine build function is further up the stack."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name in ('build_from_cfg', 'build_model_from_cfg',
                                    'build_scheduler_from_cfg') and \
                frame.f_globals.get('__name__', '').startswith(
                    'mmengine.registry'):
            return True
        frame = frame.f_back
    return False


class _default_scope:
    """Build under ``scope`` whatever scope is current (e.g. a Runner's
    ``default_scope='mmengine'``): gml's registry resolves unscoped types in
    gml first; zoo types carry their own ``_scope_``."""

    def __init__(self, scope: str):
        self._ctx = DefaultScope.overwrite_default_scope(scope)

    def __enter__(self):
        self._ctx.__enter__()

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)


def _child(name: str, parent: Registry, *locations: str) -> GMLRegistry:
    return GMLRegistry(
        name, parent=parent, scope='gml', locations=list(locations))


# mmengine's roots, extended by gml
RUNNERS = _child('runner', MMENGINE_RUNNERS, 'gml.engine')
LOOPS = _child('loop', MMENGINE_LOOPS, 'gml.engine')
HOOKS = _child('hook', MMENGINE_HOOKS, 'gml.engine')
DATASETS = _child('dataset', MMENGINE_DATASETS, 'gml.datasets')
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, 'gml.datasets')
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, 'gml.datasets')
MODELS = _child('model', MMENGINE_MODELS, 'gml.models')
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS, 'gml.models')
WEIGHT_INITIALIZERS = _child('weight initializer',
                             MMENGINE_WEIGHT_INITIALIZERS, 'gml.models')
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, 'gml.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS, 'gml.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
                                    'gml.engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS,
                          'gml.engine')
# (gml registers no metric, evaluator, visualizer or backend of its own:
# these resolve to mmengine's and the zoos' through the parent)
METRICS = _child('metric', MMENGINE_METRICS)
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR)
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS, 'gml.models',
                    'gml.engine.strategies.variation',
                    'gml.engine.strategies.selection',
                    'gml.engine.strategies.breeding',
                    'gml.engine.strategies.screening',
                    'gml.engine.estimators.resource_estimator')
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS)
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS)
LOG_PROCESSORS = _child('log_processor', MMENGINE_LOG_PROCESSORS, 'gml.engine')

# gml's own kinds of model parts. They are names for MODELS itself, not
# child registries: mmengine resolves the default scope to the first registry
# of that scope in the tree, so a second 'gml' registry under MODELS would
# never be searched when a config is built under default_scope='gml'.
MUTABLES = MODELS
MUTATORS = MODELS
DISTILLERS = MODELS
CONNECTORS = MODELS
