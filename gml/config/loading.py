"""Load a gml config: file, overrides, environment, legacy keys, scopes.

Two dialects are read. An mmengine-style config's ``model`` is what the
Runner builds (for an algorithm: ``model = dict(type='gml.SPOS',
model=dict(...))``). A config written for the old toolbox defines the
network as ``model`` and the algorithm around it as ``algorithm = dict(...,
model=model)``; gml makes ``algorithm`` the model the Runner builds.

Overrides follow the dialect of the file, so none is lost:

* legacy file: ``model.*`` is the network, i.e. ``algorithm.model.*``
  (where the algorithm's copy lives); ``algorithm.*`` is the algorithm;
* mmengine file: ``model.*`` is what the file calls ``model``;
  ``algorithm.*`` means ``model.*`` (so commands written for the old
  toolbox, ``--cfg-options algorithm.mutable_cfg=subnet.yaml``, work).

An override of a top-level key that nothing reads is refused.
"""
import difflib
import os
import os.path as osp
import re
from typing import Any, Dict, Optional

from gml.utils.errors import ConfigError

from .legacy import LEGACY_KEYS, is_legacy, translate_legacy

_ENV = re.compile(r'\$\{([A-Za-z_][A-Za-z0-9_]*)\}')
#: top-level keys mmengine's Runner, gml's tools or the translation read.
RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'runner_type', 'model_wrapper_cfg', 'find_unused_parameters',
    'custom_imports', 'compile', 'activation_checkpointing',
    'efficient_conv_bn_eval', 'sync_bn', 'gpu_ids')
#: integer settings of mmengine's loops and dataloaders, checked up front
#: (mmengine would fail deep inside the Runner, or silently truncate).
_INT_KEYS = {
    'train_cfg': ('max_epochs', 'max_iters', 'val_interval', 'val_begin'),
    'train_dataloader': ('batch_size', 'num_workers'),
    'val_dataloader': ('batch_size', 'num_workers'),
    'test_dataloader': ('batch_size', 'num_workers'),
}


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


def route_override(key: str, cfg, path: str) -> str:
    """Where the override ``key`` applies in ``cfg`` (see module doc)."""
    head, _, rest = key.partition('.')
    if is_legacy(cfg):
        if head == 'model':
            if 'model' in cfg.algorithm:
                return 'algorithm.model' + (f'.{rest}' if rest else '')
            raise ConfigError(
                f'{path}: --cfg-options {key}: this config builds '
                '`algorithm` (its `model` is not used); override '
                f'algorithm.{rest or "..."} instead')
        return key
    if head == 'algorithm' and isinstance(cfg.get('model'), dict):
        return 'model' + (f'.{rest}' if rest else '')
    if head not in cfg and head not in RUNNER_KEYS + LEGACY_KEYS:
        close = difflib.get_close_matches(
            head, sorted(set(cfg.keys()) | set(RUNNER_KEYS)), n=3)
        hint = f'; did you mean {" or ".join(map(repr, close))}?' \
            if close else ''
        raise ConfigError(
            f'{path}: --cfg-options {key}: the config has no key {head!r} '
            f'and gml does not read one{hint}')
    return key


#: the least value each integer setting takes (mmengine's own checks fire
#: later, after the work dir exists, and name derived keys: a max_epochs of
#: 0 surfaced as a param_scheduler's ``end=-34``)
_INT_MIN = {'max_epochs': 1, 'max_iters': 1, 'val_interval': 1,
            'val_begin': 0, 'batch_size': 1, 'num_workers': 0}


def check_settings(cfg) -> None:
    """Integer loop/dataloader settings are integers in range
    (ConfigError naming the key, e.g. ``train_dataloader.batch_size``)."""
    for section, keys in _INT_KEYS.items():
        node = cfg.get(section)
        if not isinstance(node, dict):
            continue
        for key in keys:
            value = node.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f'{section}.{key}: expected an integer, '
                                  f'got {value!r}')
            least = _INT_MIN[key]
            if value < least:
                kind = ('a positive integer' if least == 1 else
                        'an integer >= 0')
                raise ConfigError(f'{section}.{key}: got {value}, expected '
                                  f'{kind}')


def _read(path: str):
    from mmengine.config import Config
    if osp.isdir(path):
        raise ConfigError(f'config file {path!r} is a directory')
    if not osp.isfile(path):
        raise ConfigError(f'config file {path!r} does not exist')
    try:
        return Config.fromfile(path)
    except Exception as e:  # syntax errors, missing _base_ files...
        raise ConfigError(f'config file {path!r} cannot be read: '
                          f'{e.__class__.__name__}: {e}') from None


def _index_tuples(cfg, target: str) -> None:
    """Turn the tuples ``target`` indexes into (``distill_cfg.0.head``)
    into lists: mmengine merges index keys into lists only, and the seed's
    ``distill_cfg = dict(...),`` is a tuple."""
    parts = target.split('.')
    node = cfg
    for part, after in zip(parts, parts[1:]):
        if isinstance(node, list) and part.isdigit():
            child = node[int(part)] if int(part) < len(node) else None
        else:
            child = node.get(part) if hasattr(node, 'get') else None
        if isinstance(child, tuple) and after.isdigit():
            child = list(child)
            if isinstance(node, list):
                node[int(part)] = child
            else:
                node[part] = child
        if child is None:
            return
        node = child


def _merge(cfg, path: str, options: Dict[str, Any]) -> None:
    for key, value in options.items():
        target = route_override(key, cfg, path)
        _index_tuples(cfg, target)
        try:
            cfg.merge_from_dict({target: value})
        except Exception as e:
            where = key if target == key else f'{key} (= {target})'
            raise ConfigError(f'{path}: --cfg-options {where}={value!r} '
                              f'does not fit the config: {e}') from None


def _text_of(path: str) -> str:
    try:
        with open(path, encoding='utf-8') as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return ''  # _read names what is wrong with the file


def _require_zoos(path: str, text: str) -> None:
    """A config inheriting mmdet's configs (``mmdet::``, here or in a base)
    needs the detection stack; say so before mmengine trips on it."""
    if 'mmdet::' in text:
        from gml.registry.scopes import require_detection  # mmengine's
        require_detection(f"{path} (its _base_ inherits 'mmdet::' configs)")


def _is_group_pruning(model: dict) -> bool:
    return str(model.get('type', '')).split('.')[-1] == 'GroupPruning'


def _wrap_pruned(cfg) -> None:
    """``model.pruning_spec=PATH`` on a plain model: build it pruned, as
    ``gml.GroupPruning``; on the model an algorithm wraps (``model.model``,
    e.g. a KD student), as the plain pruned module (docs/pruning.md)."""
    model = cfg.model
    if not isinstance(model, dict):
        return
    if _is_group_pruning(model):
        # a pruning config's network given a spec (``model.pruning_spec``
        # reaches the network in a legacy file): rebuild what it prunes
        inner = model.get('model')
        if isinstance(inner, dict) and inner.get('pruning_spec'):
            inner = dict(inner)
            model['pruning_spec'] = inner.pop('pruning_spec')
            model['model'] = inner
        return
    inner = model.get('model')
    # a GroupPruning inside (a KD student that is a pruning config) takes
    # the spec itself
    if isinstance(inner, dict) and inner.get('pruning_spec') and \
            not _is_group_pruning(inner):
        inner = dict(inner)
        spec = inner.pop('pruning_spec')
        model['model'] = dict(type='gml.PrunedModel', model=inner,
                              pruning_spec=spec)
    if not model.get('pruning_spec'):
        return
    model = dict(model)
    spec = model.pop('pruning_spec')
    cfg.model = dict(type='gml.GroupPruning', model=model,
                     pruning_spec=spec)


def load_config(path: str, cfg_options: Optional[Dict[str, Any]] = None):
    """Read ``path``, apply overrides, and make it buildable by gml.

    Raises:
        ConfigError: the file is missing or unreadable, or an override does
            not fit the config; the message names the file or the key.
    """
    _require_zoos(path, _text_of(path))
    cfg = _read(path)
    _require_zoos(path, getattr(cfg, 'text', ''))
    _merge(cfg, path, cfg_options or {})
    if cfg_options and cfg.get('custom_imports'):
        # mmengine imports them when reading the file; an override may add
        # some (e.g. a hook of the user's) after that.
        from mmengine.utils import import_modules_from_strings
        try:
            import_modules_from_strings(**cfg.custom_imports)
        except ImportError as e:
            raise ConfigError(f'{path}: custom_imports: {e}') from None
    legacy = is_legacy(cfg)
    expand_env(cfg._cfg_dict)
    try:
        translate_legacy(cfg)
        check_settings(cfg)
    except ConfigError as e:
        raise ConfigError(f'{path}: {e}') from None
    if cfg.get('model') is None:
        raise ConfigError(f'config file {path!r} defines neither `model` '
                          'nor `algorithm`')
    _wrap_pruned(cfg)
    from gml.registry import MODELS
    from gml.registry.scopes import normalize_scopes
    cfg.model = normalize_scopes(cfg.model, MODELS)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                'val_evaluator', 'test_evaluator'):
        if key in cfg:
            cfg[key] = normalize_scopes(cfg[key])
    cfg.setdefault('default_scope', 'gml')
    # error messages name keys as the file does (algorithm.* if legacy)
    object.__setattr__(cfg, 'gml_legacy', legacy)
    return cfg


def user_key(path: Optional[str], cfg) -> Optional[str]:
    """A key path of the loaded ``cfg`` as the user's file spells it."""
    if path and getattr(cfg, 'gml_legacy', False):
        head, _, rest = path.partition('.')
        if head == 'model':
            return 'algorithm' + (f'.{rest}' if rest else '')
    return path

