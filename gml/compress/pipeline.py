"""A compression pipeline config: its stages, checked before anything runs.

A pipeline config is a Python config (``_base_`` and overrides work as in
any gml config)::

    input_shape = (3, 8, 8)          # C, H, W of the deployed model
    stages = dict(                   # run in dependency order
        float=dict(type='train', config='configs/.../float.py'),
        qat=dict(type='qat', config='configs/.../qat.py',
                 inputs={'model.float_checkpoint': 'float.checkpoint'},
                 options={'train_cfg.max_epochs': 4}),
        int8=dict(type='export', config='configs/.../qat.py',
                  inputs=dict(checkpoint='qat.checkpoint')))

Every mistake found here is a :class:`~gml.utils.errors.ConfigError` of one
line naming the stage and key.
"""
import os.path as osp
from typing import Dict, List, Optional

from gml.utils.errors import ConfigError

from .stages import POSITIONAL, STAGE_TYPES

STAGE_KEYS = ('type', 'config', 'inputs', 'options', 'test_config',
              'test_inputs', 'test_options', 'checkpoint', 'slurm')
#: resources of a stage on Slurm: the environment of tools/slurm_*.sh
SLURM_KEYS = dict(gpus='GPUS', gpus_per_node='GPUS_PER_NODE',
                  cpus_per_task='CPUS_PER_TASK', srun_args='SRUN_ARGS')


def flatten(options: Optional[dict], prefix: str = '') -> Dict[str, object]:
    """``{'a': {'b': 1}}`` -> ``{'a.b': 1}`` (what ``--cfg-options`` takes;
    overrides of a pipeline arrive nested)."""
    flat = {}
    for key, value in (options or {}).items():
        full = f'{prefix}{key}'
        if isinstance(value, dict) and value and not _is_object(value):
            flat.update(flatten(value, full + '.'))
        else:
            flat[full] = value
    return flat


def _is_object(value: dict) -> bool:
    return 'type' in value or '_delete_' in value


class Stage:
    """One stage of a pipeline.

    Args:
        name (str): its name (the key in ``stages``; its work dir).
        spec (dict): its entry: ``type``, ``config``, ``inputs``
            (``{KEY: 'stage.output'}``), ``options`` (cfg options),
            ``test_config`` (the config that tests its model, e.g. a
            distilled student's; then ``test_inputs``/``test_options``
            replace ``inputs``/``options`` for the test), ``checkpoint``
            (type ``checkpoint``), ``slurm``.
        root (str): where relative paths are resolved.
    """

    def __init__(self, name: str, spec: dict, root: str):
        self.name = name
        self.spec = spec
        self.type = STAGE_TYPES[spec['type']]
        self.config = _path(spec['config'], root)
        self.test_config = _path(spec.get('test_config') or spec['config'],
                                 root)
        self.inputs = dict(spec.get('inputs') or {})
        self.own_options = flatten(spec.get('options'))
        own_test = bool(spec.get('test_config'))
        self.test_inputs = dict(spec.get('test_inputs') or {}) \
            if own_test else self.inputs
        self.own_test_options = flatten(spec.get('test_options')) \
            if own_test else self.own_options
        self.checkpoint = (_path(spec['checkpoint'], root)
                           if spec.get('checkpoint') else None)
        self.slurm = dict(spec.get('slurm') or {})
        self.wired = {}  # input key -> path, set when the stage runs

    @property
    def options(self) -> Dict[str, object]:
        """Its own options and its wired inputs (not the positional one)."""
        opts = dict(self.own_options)
        opts.update({k: v for k, v in self.wired.items()
                     if k != POSITIONAL and k in self.inputs})
        return opts

    @property
    def test_options(self) -> Dict[str, object]:
        """What ``tools/test.py`` gets with ``test_config``."""
        opts = dict(self.own_test_options)
        opts.update({k: v for k, v in self.wired.items()
                     if k != POSITIONAL and k in self.test_inputs})
        return opts

    def inputs_positional(self) -> str:
        return self.wired[POSITIONAL]

    def sources(self) -> Dict[str, tuple]:
        """input key -> (stage name, output name)."""
        both = dict(self.inputs, **self.test_inputs)
        return {k: tuple(v.split('.', 1)) for k, v in both.items()}


def _path(path: str, root: str) -> str:
    if osp.isabs(path) or osp.exists(path):
        return path
    return osp.join(root, path)


def parse_stages(cfg, path: str) -> List[Stage]:
    """The stages of the pipeline config ``cfg`` (read from ``path``) in
    the order they run; every error names the stage and key."""
    stages = cfg.get('stages')
    if not isinstance(stages, dict) or not stages:
        raise ConfigError(f'{path}: stages: expected a dict of stages '
                          '(name -> dict(type=..., config=...)), found '
                          f'{type(stages).__name__}')
    root = osp.dirname(osp.abspath(path))
    parsed = {}
    for name, spec in stages.items():
        _check_spec(path, name, spec)
        parsed[name] = Stage(name, dict(spec), root)
    for stage in parsed.values():
        _check_inputs(path, stage, parsed)
    return _order(path, parsed)


def _check_spec(path: str, name: str, spec) -> None:
    where = f'{path}: stages.{name}'
    if not isinstance(spec, dict):
        raise ConfigError(f'{where}: expected a dict, found '
                          f'{type(spec).__name__}')
    unknown = sorted(set(spec) - set(STAGE_KEYS))
    if unknown:
        raise ConfigError(f'{where}.{unknown[0]}: unknown key; expected '
                          f'one of {", ".join(STAGE_KEYS)}')
    kind = spec.get('type')
    if kind not in STAGE_TYPES:
        raise ConfigError(f'{where}.type: unknown stage type {kind!r}; '
                          f'expected one of {", ".join(STAGE_TYPES)}')
    config = spec.get('config')
    if not isinstance(config, str):
        raise ConfigError(f'{where}.config: expected a config file path, '
                          f'found {config!r}')
    for key in ('config', 'test_config', 'checkpoint'):
        value = spec.get(key)
        if value and not osp.isfile(_path(value, osp.dirname(
                osp.abspath(path)))):
            what = 'checkpoint' if key == 'checkpoint' else 'config file'
            raise ConfigError(f'{where}.{key}: {what} {value!r} does not '
                              'exist')
    if kind == 'checkpoint' and not spec.get('checkpoint'):
        raise ConfigError(f'{where}.checkpoint: a stage of type '
                          "'checkpoint' needs checkpoint=PATH")
    for key in ('inputs', 'options', 'test_inputs', 'test_options', 'slurm'):
        if spec.get(key) is not None and not isinstance(spec[key], dict):
            raise ConfigError(f'{where}.{key}: expected a dict, found '
                              f'{type(spec[key]).__name__}')
    for key, value in flatten(spec.get('options')).items():
        if (key.split('.')[-1].endswith(('checkpoint', 'ckpt', 'load_from'))
                and isinstance(value, str) and not osp.isfile(value)):
            raise ConfigError(f'{where}.options.{key}: checkpoint '
                              f'{value!r} does not exist')
    for key in spec.get('slurm') or {}:
        if key not in SLURM_KEYS:
            raise ConfigError(f'{where}.slurm.{key}: unknown resource; '
                              f'expected one of {", ".join(SLURM_KEYS)}')


def _check_inputs(path: str, stage: Stage, stages: Dict[str, Stage]) -> None:
    where = f'{path}: stages.{stage.name}.inputs'
    for key, source in dict(stage.inputs, **stage.test_inputs).items():
        if not isinstance(source, str) or '.' not in source:
            raise ConfigError(f'{where}.{key}: expected \'STAGE.OUTPUT\' '
                              f'(e.g. \'float.checkpoint\'), found '
                              f'{source!r}')
        name, output = source.split('.', 1)
        if name not in stages:
            raise ConfigError(f'{where}.{key}: consumes {source!r}, but no '
                              f'stage is named {name!r}; stages: '
                              f'{", ".join(stages)}')
        if name == stage.name:
            raise ConfigError(f'{where}.{key}: consumes {source!r}, its '
                              'own output')
        made = stages[name].type.produces
        if output not in made:
            raise ConfigError(
                f'{where}.{key}: consumes {source!r}, but stage {name!r} '
                f'(type {stages[name].type.name!r}) makes only '
                f'{", ".join(made)}')
    for key in stage.type.requires:
        if key not in stage.inputs:
            raise ConfigError(
                f'{where}.{key}: a stage of type {stage.type.name!r} needs '
                f"its {key} wired, e.g. inputs=dict({key}='STAGE."
                f"checkpoint')")


def _order(path: str, stages: Dict[str, Stage]) -> List[Stage]:
    """Dependency order (ties: as listed); a cycle is an error."""
    done, order = set(), []
    pending = list(stages)
    while pending:
        ready = [n for n in pending
                 if all(src in done for src, _ in
                        stages[n].sources().values())]
        if not ready:
            cycle = _find_cycle(stages, pending)
            first = stages[cycle[0]]
            key = next(k for k, (src, _) in first.sources().items()
                       if src == cycle[1])
            raise ConfigError(
                f'{path}: stages.{cycle[0]}.inputs.{key}: the stages '
                f'consume each other in a cycle: {" -> ".join(cycle)}')
        name = ready[0]
        done.add(name)
        order.append(stages[name])
        pending.remove(name)
    return order


def _find_cycle(stages: Dict[str, Stage], pending: List[str]) -> List[str]:
    """A cycle among ``pending`` as ``[a, b, ..., a]`` (a consumes b)."""
    node, seen = pending[0], []
    while node not in seen:
        seen.append(node)
        node = next(src for src, _ in stages[node].sources().values()
                    if src in pending)
    return seen[seen.index(node):] + [node]
