"""The old toolbox's config dialect (mmcv 1.x), translated to mmengine's.

A config written for the old toolbox defines the network as ``model`` and
the algorithm around it as ``algorithm = dict(..., model=model)``, and
trains with ``runner``, ``evaluation``, ``checkpoint_config`` and
``optimizer``. :func:`translate_legacy` maps those onto the keys mmengine's
Runner reads; :mod:`gml.config.loading` calls it for every config.
"""
from gml.utils.errors import ConfigError

from .legacy_metrics import evaluators_for

#: mmcv-1.x config keys that have no mmengine meaning gml translates.
_UNTRANSLATED_LEGACY = ('data', 'lr_config', 'log_config', 'workflow',
                        'dist_params', 'optimizer_config', 'momentum_config')
LEGACY_KEYS = ('algorithm', 'runner', 'evaluation', 'checkpoint_config',
               'optimizer') + _UNTRANSLATED_LEGACY
#: ``evaluation`` keys of the old toolbox gml translates.
_EVALUATION_KEYS = ('interval', 'metric', 'by_epoch', 'save_best', 'rule',
                    'start', 'metric_options')


def is_legacy(cfg) -> bool:
    """Whether ``cfg`` is in the old toolbox's dialect (has ``algorithm``)."""
    return isinstance(cfg.get('algorithm'), dict)


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
