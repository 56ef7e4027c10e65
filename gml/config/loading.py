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

from .errors import ConfigError

_ENV = re.compile(r'\$\{([A-Za-z_][A-Za-z0-9_]*)\}')
#: mmcv-1.x config keys that have no mmengine meaning gml translates.
_UNTRANSLATED_LEGACY = ('data', 'lr_config', 'log_config', 'workflow',
                        'dist_params', 'optimizer_config', 'momentum_config')
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
LEGACY_KEYS = ('algorithm', 'runner', 'evaluation', 'checkpoint_config',
               'optimizer') + _UNTRANSLATED_LEGACY
#: ``evaluation`` keys of the old toolbox gml translates.
_EVALUATION_KEYS = ('interval', 'metric', 'by_epoch', 'save_best', 'rule',
                    'start', 'metric_options')
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


def is_legacy(cfg) -> bool:
    """Whether ``cfg`` is in the old toolbox's dialect (has ``algorithm``)."""
    return isinstance(cfg.get('algorithm'), dict)


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


def _section(cfg, key: str):
    """``cfg[key]`` as a dict that edits land in (created if missing)."""
    if cfg.get(key) is None:
        cfg[key] = {}
    return cfg[key]


def _checkpoint_hook(cfg):
    hooks = _section(cfg, 'default_hooks')
    if hooks.get('checkpoint') is None:
        hooks['checkpoint'] = dict(type='CheckpointHook')
    return hooks['checkpoint']


def _legacy_train_cfg(cfg, runner: dict) -> None:
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
    # logs count what the loop counts
    _section(cfg, 'log_processor').setdefault('by_epoch', by_epoch)
    loader = cfg.get('train_dataloader')
    sampler = loader.get('sampler') if isinstance(loader, dict) else None
    if not by_epoch and isinstance(sampler, dict) and \
            str(sampler.get('type', '')).split('.')[-1] == 'DefaultSampler':
        # The old IterBasedRunner streamed batches across epochs; mmengine's
        # IterBasedTrainLoop restarts the dataloader at each epoch end and
        # sleeps 2 s there. An endless sampler streams like the old runner.
        sampler['type'] = 'InfiniteSampler'


def _legacy_evaluation(cfg, evaluation: dict) -> None:
    """``evaluation = dict(interval, metric, by_epoch, save_best, ...)``."""
    from .eval_metrics import evaluators_for
    unknown = sorted(set(evaluation) - set(_EVALUATION_KEYS))
    if unknown:
        raise ConfigError(
            f'evaluation.{unknown[0]}: not supported; gml translates '
            f'evaluation.{{{",".join(_EVALUATION_KEYS)}}} (use val_cfg/'
            'val_evaluator for anything else)')
    train_cfg = cfg.get('train_cfg')
    if 'by_epoch' in evaluation and train_cfg is not None:
        loop_by_epoch = train_cfg.get('by_epoch', True)
        if 'type' in train_cfg:  # an explicit loop: epoch-based by name
            loop_by_epoch = 'Epoch' in str(train_cfg.type)
        if bool(evaluation['by_epoch']) != bool(loop_by_epoch):
            unit = 'epochs' if loop_by_epoch else 'iterations'
            raise ConfigError(
                f'evaluation.by_epoch={evaluation["by_epoch"]!r}, but '
                f'training counts {unit} (train_cfg/runner): mmengine '
                'validates in the training loop\'s unit; set '
                f'evaluation.by_epoch={loop_by_epoch!r} and the interval '
                f'in {unit}')
    if 'interval' in evaluation and train_cfg is not None:
        train_cfg['val_interval'] = evaluation['interval']
    if 'start' in evaluation and train_cfg is not None:
        train_cfg['val_begin'] = evaluation['start']
    if 'metric' in evaluation:
        evaluators = evaluators_for(evaluation['metric'],
                                    cfg.get('val_evaluator'),
                                    'evaluation.metric')
        options = evaluation.get('metric_options') or {}
        for evaluator in evaluators:
            if str(evaluator['type']).endswith('Accuracy') and \
                    'topk' in options:
                evaluator['topk'] = tuple(options['topk'])
        cfg.val_evaluator = evaluators[0] if len(evaluators) == 1 \
            else evaluators
    for key in ('save_best', 'rule'):
        if key in evaluation:
            _checkpoint_hook(cfg)[key] = evaluation[key]


def translate_legacy(cfg):
    """Map the old toolbox's (mmcv 1.x) top-level keys to mmengine's.

    ``algorithm`` becomes the model the Runner builds; ``runner``,
    ``evaluation``, ``checkpoint_config``, ``optimizer`` and
    ``find_unused_parameters`` become ``train_cfg``, validation settings,
    checkpoint hook, ``optim_wrapper`` and ``model_wrapper_cfg``.
    """
    from mmengine.config import ConfigDict
    from mmengine.logging import print_log
    if 'algorithm' in cfg:
        algorithm = cfg.pop('algorithm')
        if algorithm is not None:
            cfg.model = algorithm
    runner = cfg.pop('runner', None)
    evaluation = cfg.pop('evaluation', None)
    if runner is not None:
        _legacy_train_cfg(cfg, runner)
    if evaluation is not None:
        _legacy_evaluation(cfg, evaluation)
    ckpt = cfg.pop('checkpoint_config', None)
    if ckpt is not None:
        hook = _checkpoint_hook(cfg)
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
        from .scopes import require_detection  # imports mmengine's registry
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
    from .scopes import normalize_scopes
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

