"""Load a gml config: file, overrides, environment, legacy keys, scopes."""
import os
import os.path as osp
import re
from typing import Any, Dict, Optional

from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

from .cfg_options import ConfigError
from .scopes import normalize_scopes

_ENV = re.compile(r'\$\{([A-Za-z_][A-Za-z0-9_]*)\}')
#: mmcv-1.x config keys that have no mmengine meaning gml translates.
_UNTRANSLATED_LEGACY = ('data', 'lr_config', 'log_config', 'workflow',
                        'dist_params', 'optimizer_config', 'momentum_config')


def expand_env(node: Any) -> Any:
    """Replace ``${VAR}`` in strings by the environment's value when set."""
    if isinstance(node, dict):
        for k, v in node.items():
            node[k] = expand_env(v)
        return node
    if isinstance(node, (list, tuple)):
        return type(node)(expand_env(v) for v in node)
    if isinstance(node, str):
        return _ENV.sub(lambda m: os.environ.get(m.group(1), m.group(0)),
                        node)
    return node


def translate_legacy(cfg: Config) -> Config:
    """Map the old toolbox's (mmcv 1.x) top-level keys to mmengine's.

    ``algorithm`` becomes the model the Runner builds; ``runner``,
    ``evaluation``, ``checkpoint_config``, ``optimizer`` and
    ``find_unused_parameters`` become ``train_cfg``, checkpoint hook,
    ``optim_wrapper`` and ``model_wrapper_cfg``.
    """
    if 'algorithm' in cfg:
        cfg.model = cfg.pop('algorithm')
    runner = cfg.pop('runner', None)
    evaluation = cfg.pop('evaluation', None)
    if runner is not None:
        by_epoch = 'max_epochs' in runner or 'Epoch' in runner.get('type', '')
        train_cfg = dict(cfg.get('train_cfg') or {})
        train_cfg.pop('type', None)
        train_cfg['by_epoch'] = by_epoch
        if by_epoch:
            train_cfg.pop('max_iters', None)
            train_cfg['max_epochs'] = runner.get(
                'max_epochs', train_cfg.get('max_epochs'))
        else:
            train_cfg.pop('max_epochs', None)
            train_cfg['max_iters'] = runner['max_iters']
        cfg.train_cfg = train_cfg
    if evaluation is not None and cfg.get('train_cfg') is not None:
        if 'interval' in evaluation:
            cfg.train_cfg['val_interval'] = evaluation['interval']
    ckpt = cfg.pop('checkpoint_config', None)
    if ckpt is not None:
        hooks = cfg.setdefault('default_hooks', ConfigDict())
        hook = hooks.setdefault('checkpoint', ConfigDict(type='CheckpointHook'))
        hook.update({k: v for k, v in ckpt.items() if k != 'type'})
        if cfg.get('train_cfg') is not None:
            hook.setdefault('by_epoch', cfg.train_cfg.get('by_epoch', True))
    if 'optimizer' in cfg and 'optim_wrapper' not in cfg:
        cfg.optim_wrapper = dict(
            type='OptimWrapper', optimizer=cfg.pop('optimizer'))
    if 'find_unused_parameters' in cfg:
        wrapper = cfg.setdefault('model_wrapper_cfg', ConfigDict(
            type='MMDistributedDataParallel'))
        wrapper['find_unused_parameters'] = cfg.pop('find_unused_parameters')
    for key in _UNTRANSLATED_LEGACY:
        if key in cfg:
            print_log(f'config key {key!r} is mmcv-1.x style and is ignored; '
                      'see docs/config.md for its mmengine equivalent',
                      logger='current', level=30)
    return cfg


def load_config(path: str,
                cfg_options: Optional[Dict[str, Any]] = None) -> Config:
    """Read ``path``, apply overrides, and make it buildable by gml.

    Raises:
        ConfigError: the file is missing or unreadable, or an override does
            not fit the config; the message names the file or the key.
    """
    if not osp.isfile(path):
        raise ConfigError(f'config file {path!r} does not exist')
    try:
        cfg = Config.fromfile(path)
    except Exception as e:  # syntax errors, missing _base_ files...
        raise ConfigError(f'config file {path!r} cannot be read: '
                          f'{e.__class__.__name__}: {e}') from None
    for key, value in (cfg_options or {}).items():
        try:
            cfg.merge_from_dict({key: value})
        except Exception as e:
            raise ConfigError(f'{path}: --cfg-options {key}={value!r} does '
                              f'not fit the config: {e}') from None
    if cfg_options and cfg.get('custom_imports'):
        # mmengine imports them when reading the file; an override may add
        # some (e.g. a hook of the user's) after that.
        from mmengine.utils import import_modules_from_strings
        try:
            import_modules_from_strings(**cfg.custom_imports)
        except ImportError as e:
            raise ConfigError(f'{path}: custom_imports: {e}') from None
    expand_env(cfg._cfg_dict)
    translate_legacy(cfg)
    if 'model' not in cfg:
        raise ConfigError(f'config file {path!r} defines neither `model` '
                          'nor `algorithm`')
    from gml.registry import MODELS
    cfg.model = normalize_scopes(cfg.model, MODELS)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                'val_evaluator', 'test_evaluator'):
        if key in cfg:
            cfg[key] = normalize_scopes(cfg[key])
    cfg.setdefault('default_scope', 'gml')
    return cfg
