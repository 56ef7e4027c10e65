"""The search yaml: safe-loaded, validated, with errors naming file and key.

```yaml
task:
  template: "python mnist.py --lr {lr} --epochs {epochs}"
  search_args: [...]            # see gml.hpo.space
  pre_callback: null            # shell hook run before the command, in the
  after_callback: null          #   job folder; prints `key: value` lines
search:                         # optional; defaults below
  type: grid                    # grid | random | tpe | evolution
  max_jobs: null                # grid: the grid size; others: required
  concurrency: 1
  reward_attribute: null        # scalar name; default: the only one reported
  mode: max                     # max | min
  reward_reduce: last           # last | best value of the history
  early_stop: none              # none|hyperband|asha|median|{type: ...}
                                #   with constraints, rungs rank feasible
                                #   jobs first (feasible_first: false: not)
  constraints: []               # [{scalar: params, max: 1.0e6}]: tpe and
                                #   evolution sample by them; all choose best
                                #   check: end (last value) | report (stop
                                #   the job as soon as it reports a
                                #   violating value); {param: NAME, max: X}
                                #   bounds a launch parameter (never launched)
  seed: null
  population_size: 8            # evolution: jobs per generation (the elite
  num_children: null            #   population); children per generation
                                #   (default: population_size)
  default_config: null          # {arg: value}: the first job's sampled values
  poll_interval: 0.2            # seconds between looks at running jobs
  sync_reports: false           # early_stop: report() waits for the verdict
  max_time: null                # wall-clock budget: 3600, '90m', '23h'
launcher:
  type: local                   # local | sbatch
  sbatch_args: []               # e.g. ['-p', 'pat_dev', '--gres', 'gpu:1']
pavi:                           # the original toolbox's section, mapped to
  compare: {name: compare_new}  #   open parts: the dashboard's view name
  scalars: [acc, top1]          #   reward candidates, dashboard/TB scalars
```
"""
import os
from dataclasses import dataclass, field
from typing import List, Optional

import yaml

from .errors import SearchError
from .space import SearchSpace, build_search_args
from .template import fields, placeholders, specs

SAMPLERS = ('grid', 'random', 'tpe', 'evolution')
PRUNERS = ('none', 'hyperband', 'asha', 'median')
LAUNCHERS = ('local', 'sbatch')
_SEARCH_KEYS = ('type', 'max_jobs', 'concurrency', 'reward_attribute', 'mode',
                'reward_reduce', 'early_stop', 'constraints', 'seed',
                'poll_interval', 'population_size', 'sync_reports',
                'max_time', 'num_children', 'default_config')
_TASK_KEYS = ('template', 'search_args', 'pre_callback', 'after_callback')


@dataclass
class SearchConfig:
    """The validated search yaml (``docs/hpo.md`` lists every key).

    Args:
        template: ``task.template``, the command with ``{arg}`` fields.
        space: the parsed ``task.search_args``.
        raw: the yaml as read (written next to the task).
        sampler: ``search.type``: grid, random, tpe or evolution.
        max_jobs: jobs in all (grid: 0 means the grid size).
        concurrency: jobs running at once.
        reward_attribute: the scalar optimised (None: the only one reported).
        mode: ``'max'`` or ``'min'``.
        reward_reduce: a job's reward, its ``'last'`` or ``'best'`` report.
        early_stop: the pruner, ``{type: none|hyperband|asha|median, ...}``.
        constraints: ``[{scalar, min/max, check}]`` on reported scalars or
            launch parameters.
        seed: the sampler's seed.
        poll_interval: seconds between looks at running jobs.
        population_size: evolution: jobs per generation (the elite kept).
        num_children: evolution: new jobs per generation after the first.
        default_config: the first job's arguments.
        sync_reports: with ``early_stop``, ``report()`` waits for the verdict.
        max_time: wall-clock budget in seconds.
        launcher: ``'local'`` or ``'sbatch'``.
        sbatch_args: extra ``sbatch`` arguments.
        pre_callback, after_callback: shell hooks around each job's command.
        scalars: ``pavi.scalars``, the scalars compared (None: all).
        compare_name: ``pavi.compare.name``, the dashboard study's name.
    """
    template: str
    space: SearchSpace
    raw: dict
    sampler: str = 'grid'
    max_jobs: int = 0
    concurrency: int = 1
    reward_attribute: Optional[str] = None
    mode: str = 'max'
    reward_reduce: str = 'last'
    early_stop: dict = field(default_factory=lambda: {'type': 'none'})
    constraints: List[dict] = field(default_factory=list)
    seed: Optional[int] = None
    poll_interval: float = 0.2
    population_size: int = 8
    num_children: Optional[int] = None
    default_config: Optional[dict] = None
    sync_reports: bool = False
    max_time: Optional[float] = None
    launcher: str = 'local'
    sbatch_args: List[str] = field(default_factory=list)
    pre_callback: Optional[str] = None
    after_callback: Optional[str] = None
    #: pavi.scalars: the scalars compared and exported (None: all).
    scalars: Optional[List[str]] = None
    compare_name: Optional[str] = None


def load_search_config(path: str) -> SearchConfig:
    """Read and validate ``path``; every problem raises ``SearchError``."""
    if os.path.isdir(path):
        raise SearchError(f'{path}: is a directory; expected a search yaml '
                          'file')
    if not os.path.isfile(path):
        raise SearchError(f'{path}: no such config file')
    try:
        with open(path) as f:
            raw = yaml.safe_load(f)
    except yaml.YAMLError as e:
        reason = ' '.join(str(e).split())
        raise SearchError(f'{path}: not valid yaml: {reason}')
    try:
        return parse_search_config(raw)
    except SearchError as e:
        raise SearchError(f'{path}: {e}') from None


def parse_search_config(raw) -> SearchConfig:
    if not isinstance(raw, dict):
        raise SearchError('top level: expected a mapping with a `task` key')
    unknown = sorted(set(raw) - {'task', 'search', 'launcher', 'pavi'})
    if unknown:
        raise SearchError(f'top level: unknown key(s) {unknown}; expected '
                          'task, search, launcher, pavi')
    task = raw.get('task')
    if not isinstance(task, dict):
        raise SearchError('task: missing; expected a mapping with template '
                          'and search_args')
    unknown = sorted(set(task) - set(_TASK_KEYS))
    if unknown:
        raise SearchError(f'task: unknown key(s) {unknown}; expected some of '
                          f'{list(_TASK_KEYS)}')
    template = task.get('template')
    if not isinstance(template, str) or not template.strip():
        raise SearchError('task.template: expected a non-empty command string')
    hooks = {}
    for key in ('pre_callback', 'after_callback'):
        hook = task.get(key)
        if hook is not None and (not isinstance(hook, str)
                                 or not hook.strip()):
            raise SearchError(f'task.{key}: expected a shell command string')
        hooks[key] = hook
    space = SearchSpace(build_search_args(task.get('search_args'),
                                          'task.search_args'))
    _check_template(template, space, hooks)
    cfg = SearchConfig(template=template, space=space, raw=raw, **hooks)
    _parse_pavi(raw.get('pavi'), cfg)
    _parse_search(raw.get('search') or {}, cfg)
    _parse_launcher(raw.get('launcher') or {}, cfg)
    return cfg


def _parse_pavi(pavi, cfg):
    """The original toolbox's ``pavi:`` section, mapped to open parts.

    ``scalars`` become the reward candidates and the scalars the dashboard
    and TensorBoard show; ``compare.name`` names the dashboard's comparison
    view. ``compare.id`` pointed at a pavi server object and has no meaning
    here; it is accepted so the original yaml runs unchanged.
    """
    if pavi is None:
        return
    if not isinstance(pavi, dict):
        raise SearchError('pavi: expected a mapping with compare and/or '
                          'scalars')
    unknown = sorted(set(pavi) - {'compare', 'scalars'})
    if unknown:
        raise SearchError(f'pavi: unknown key(s) {unknown}; expected compare,'
                          ' scalars')
    compare = pavi.get('compare') or {}
    if not isinstance(compare, dict) or set(compare) - {'name', 'id'}:
        raise SearchError(f'pavi.compare: got {compare!r}; expected '
                          '{name: NAME} (id is accepted and ignored)')
    name = compare.get('name')
    if name is not None and (not isinstance(name, (str, int))
                             or not str(name).strip()):
        raise SearchError('pavi.compare.name: expected a non-empty name')
    cfg.compare_name = None if name is None else str(name)
    scalars = pavi.get('scalars')
    if scalars is not None:
        if not isinstance(scalars, list) or not scalars or not all(
                isinstance(x, str) and x for x in scalars):
            raise SearchError(f'pavi.scalars: got {scalars!r}; expected a '
                              'non-empty list of scalar names')
        cfg.scalars = list(dict.fromkeys(scalars))


def _fields(key, text):
    """The template's placeholders; a malformed one names ``task.<key>``."""
    try:
        return fields(text)
    except SearchError as e:
        raise SearchError(f'task.{key}: {e}') from None


def _check_specs(key, text, space):
    """Every ``{name:spec}`` must format every value the search can give."""
    values = space.example_values()
    for name, spec in specs(text):
        for value in values.get(name, []):
            try:
                format(value, spec)
            except (ValueError, TypeError) as e:
                raise SearchError(f'task.{key}: {{{name}:{spec}}} cannot '
                                  f'format the value {value!r}: {e}') from None


def _check_template(template, space, hooks):
    _fields('template', template)
    for key, hook in hooks.items():
        _fields(key, hook or '')
    used = placeholders(template)
    for key, hook in hooks.items():
        missing = [n for n in placeholders(hook or '')
                   if n not in space.template_names()]
        if missing:
            raise SearchError(f'task.{key}: placeholder(s) '
                              f'{", ".join("{%s}" % n for n in missing)} '
                              'have no search argument in task.search_args')
        used += [n for n in placeholders(hook or '') if n not in used]
    names = space.template_names()
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SearchError(f'task.search_args: {dup} set by more than one '
                          'argument')
    missing = [n for n in used if n not in names]
    if missing:
        raise SearchError(f'task.template: placeholder(s) '
                          f'{", ".join("{%s}" % n for n in missing)} have no '
                          'search argument in task.search_args')
    unused = [n for n in names if n not in used]
    if unused:
        raise SearchError(f'task.search_args: {unused} never used in '
                          'task.template; add {name} to the template or '
                          'drop the argument')
    for key, text in dict(hooks, template=template).items():
        _check_specs(key, text or '', space)


def _parse_search(search, cfg):
    if not isinstance(search, dict):
        raise SearchError('search: expected a mapping')
    unknown = sorted(set(search) - set(_SEARCH_KEYS))
    if unknown:
        raise SearchError(f'search: unknown key(s) {unknown}; expected some '
                          f'of {list(_SEARCH_KEYS)}')
    cfg.sampler = _choice(search, 'type', SAMPLERS, 'grid')
    cfg.mode = _choice(search, 'mode', ('max', 'min'), 'max')
    cfg.reward_reduce = _choice(search, 'reward_reduce', ('last', 'best'),
                                'last')
    cfg.concurrency = _positive_int(search, 'concurrency', 1)
    cfg.seed = search.get('seed')
    if cfg.seed is not None and not _is_int(cfg.seed):
        raise SearchError(f'search.seed: got {cfg.seed!r}; expected an int')
    cfg.poll_interval = search.get('poll_interval', cfg.poll_interval)
    if not isinstance(cfg.poll_interval, (int, float)) or \
            cfg.poll_interval <= 0:
        raise SearchError('search.poll_interval: expected seconds > 0')
    cfg.population_size = _positive_int(search, 'population_size', 8)
    if cfg.population_size < 2:
        raise SearchError('search.population_size: expected an int >= 2')
    if search.get('num_children') is not None:
        if cfg.sampler != 'evolution':
            raise SearchError('search.num_children: only type evolution has '
                              f'children; got type {cfg.sampler!r}')
        cfg.num_children = _positive_int(search, 'num_children', None)
    cfg.default_config = _parse_default_config(search.get('default_config'),
                                               cfg.space)
    if cfg.default_config and cfg.sampler == 'grid':
        raise SearchError('search.default_config: type grid runs every '
                          'configuration already; use random, tpe or '
                          'evolution')
    cfg.sync_reports = search.get('sync_reports', False)
    if not isinstance(cfg.sync_reports, bool):
        raise SearchError('search.sync_reports: expected true or false')
    cfg.reward_attribute = search.get('reward_attribute')
    if cfg.reward_attribute is not None and not isinstance(
            cfg.reward_attribute, str):
        raise SearchError('search.reward_attribute: expected a scalar name')
    if cfg.scalars is not None:
        # pavi: "reward_attribute would add to scalars by default"
        if cfg.reward_attribute is None and len(cfg.scalars) == 1:
            cfg.reward_attribute = cfg.scalars[0]
        elif cfg.reward_attribute and cfg.reward_attribute not in \
                cfg.scalars:
            cfg.scalars.append(cfg.reward_attribute)
    cfg.max_time = parse_duration(search.get('max_time'), 'search.max_time')
    cfg.early_stop = _parse_early_stop(search.get('early_stop', 'none'))
    cfg.constraints = _parse_constraints(search.get('constraints') or [],
                                         cfg.space)

    grid_size = cfg.space.grid_size()
    if cfg.sampler == 'grid':
        if grid_size is None:
            raise SearchError('search.type: grid needs finite values; give '
                              'Float/Int ranges a step (and no log) or use '
                              'random/tpe/evolution')
        cfg.max_jobs = _positive_int(search, 'max_jobs', grid_size)
        cfg.max_jobs = min(cfg.max_jobs, grid_size)
    else:
        if 'max_jobs' not in search:
            raise SearchError(f'search.max_jobs: required for type '
                              f'{cfg.sampler!r} (grid alone has a natural '
                              'size)')
        cfg.max_jobs = _positive_int(search, 'max_jobs', None)
    needs_reward = (cfg.sampler in ('tpe', 'evolution')
                    or cfg.early_stop['type'] != 'none' or cfg.constraints)
    if needs_reward and not cfg.reward_attribute:
        among = (f' (one of pavi.scalars {cfg.scalars})' if cfg.scalars
                 else '')
        raise SearchError('search.reward_attribute: required for type '
                          f'{cfg.sampler!r}, early_stop and constraints (the '
                          f'scalar the jobs report, e.g. acc){among}')


def parse_duration(value, where: str) -> Optional[float]:
    """Seconds from ``3600``, ``'90s'``, ``'30m'``, ``'23h'`` or ``'2d'``."""
    if value is None:
        return None
    seconds = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().lower()
        scale = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}.get(text[-1])
        try:
            seconds = float(text[:-1]) * scale if scale else float(text)
        except ValueError:
            seconds = None
    if seconds is None or seconds <= 0 or seconds != seconds:
        raise SearchError(f'{where}: got {value!r}; expected seconds > 0 or '
                          "a duration such as '90m', '23h'")
    return seconds


def _parse_early_stop(value):
    if isinstance(value, str) or value is None:
        value = {'type': value or 'none'}
    if not isinstance(value, dict) or value.get('type') not in PRUNERS:
        raise SearchError(f'search.early_stop: got {value!r}; expected one of '
                          f'{", ".join(PRUNERS)} or {{type: ..., options}}')
    if not isinstance(value.get('feasible_first', True), bool):
        raise SearchError('search.early_stop.feasible_first: got '
                          f'{value["feasible_first"]!r}; expected true or '
                          'false')
    return dict(value)


def _parse_constraints(items, space):
    """``{scalar: NAME, max/min, check: end|report}`` bounds a reported
    scalar; ``{param: NAME, max/min}`` a launch parameter (checked before
    the job starts)."""
    if not isinstance(items, list):
        raise SearchError('search.constraints: expected a list of '
                          '{scalar: NAME, max: X} / {scalar, min} / '
                          '{param: NAME, max: X}')
    out = []
    for i, c in enumerate(items):
        where = f'search.constraints[{i}]'
        kinds = [k for k in ('scalar', 'param')
                 if isinstance(c, dict) and k in c]
        if len(kinds) != 1 or not isinstance(c[kinds[0]], str):
            raise SearchError(f'{where}: expected {{scalar: NAME, max: X}} '
                              'or {param: NAME, max: X}')
        bounds = {k: c[k] for k in ('min', 'max') if k in c}
        allowed = {kinds[0], 'min', 'max'} | (
            {'check'} if kinds[0] == 'scalar' else set())
        if not bounds or set(c) - allowed or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool)
                for v in bounds.values()):
            raise SearchError(f'{where}: expected {kinds[0]} plus numeric min'
                              f' and/or max; allowed keys {sorted(allowed)}')
        if c.get('check', 'end') not in ('end', 'report'):
            raise SearchError(f'{where}.check: got {c["check"]!r}; expected '
                              'end (the last reported value) or report '
                              '(stop the job at its first violating report)')
        if kinds[0] == 'param' and c['param'] not in space.template_names():
            raise SearchError(f'{where}.param: {c["param"]!r} is not a '
                              'search argument; expected one of '
                              f'{space.template_names()}')
        out.append(dict(c))
    return out


def _parse_default_config(value, space):
    """``{arg: value}`` for every search argument, inside its range."""
    if value is None:
        return None
    where = 'search.default_config'
    dists = space.distributions()
    if not isinstance(value, dict) or set(value) != set(dists):
        got = sorted(value) if isinstance(value, dict) else repr(value)
        raise SearchError(f'{where}: got {got}; expected a value for each '
                          f'search argument {sorted(dists)} (Nested: the '
                          'index of its choice)')
    for name, dist in dists.items():
        try:
            ok = dist._contains(dist.to_internal_repr(value[name]))
        except (ValueError, TypeError):
            ok = False
        if not ok:
            raise SearchError(f'{where}.{name}: {value[name]!r} is outside '
                              f'the search argument ({dist})')
    return dict(value)


def _parse_launcher(launcher, cfg):
    if not isinstance(launcher, dict):
        raise SearchError('launcher: expected a mapping')
    unknown = sorted(set(launcher) - {'type', 'sbatch_args'})
    if unknown:
        raise SearchError(f'launcher: unknown key(s) {unknown}; expected type,'
                          ' sbatch_args')
    cfg.launcher = _choice(launcher, 'type', LAUNCHERS, 'local', 'launcher')
    args = launcher.get('sbatch_args', [])
    if isinstance(args, str):
        import shlex
        args = shlex.split(args)
    if not isinstance(args, list) or not all(isinstance(a, str)
                                             for a in args):
        raise SearchError('launcher.sbatch_args: expected a list of strings')
    cfg.sbatch_args = args


def _choice(d, key, options, default, section='search'):
    value = d.get(key, default)
    if value not in options:
        raise SearchError(f'{section}.{key}: got {value!r}; expected one of '
                          f'{", ".join(options)}')
    return value


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _positive_int(d, key, default):
    value = d.get(key, default)
    if not _is_int(value) or value < 1:
        raise SearchError(f'search.{key}: got {value!r}; expected an int >= 1')
    return value
