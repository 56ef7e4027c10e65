"""Schedulers: Optuna samplers and pruners chosen by the ``search`` section.

gml writes no search algorithm of its own: grid, random, TPE and evolution
(NSGA-II, which honours constraints) are Optuna samplers; Hyperband, ASHA
(successive halving) and median stopping are Optuna pruners. The controller
drives them through the ask/tell interface, and the study lives in the
task's Optuna journal (``optuna.log``) so a restarted controller continues
it.
"""
import os
import warnings

from . import optuna_internals
from .config import SearchConfig


def _bound_values(c: dict, value) -> list:
    """Optuna's convention: each value <= 0 means that bound holds."""
    if value is None:  # never reported: treat as violated
        return [1.0] * len([k for k in ('max', 'min') if k in c])
    out = []
    if 'max' in c:
        out.append(value - c['max'])
    if 'min' in c:
        out.append(c['min'] - value)
    return out


def _last(history, name):
    series = history.get(name)
    return series[max(series)] if series else None


def constraint_values(cfg: SearchConfig, history, params=None) -> list:
    """One value per bound, in ``cfg.constraints`` order (<= 0: holds).

    A ``param`` constraint reads the job's launch ``params``; a ``scalar``
    constraint the last value the job reported.
    """
    values = []
    for c in cfg.constraints:
        value = (params or {}).get(c['param']) if 'param' in c \
            else _last(history, c['scalar'])
        values.extend(_bound_values(c, value))
    return values


def constraint_scalars(cfg: SearchConfig, history, params=None) -> dict:
    """The value each constraint judged (None: never reported)."""
    return {c.get('scalar', c.get('param')):
            (params or {}).get(c['param']) if 'param' in c
            else _last(history, c['scalar']) for c in cfg.constraints}


def launch_violations(cfg: SearchConfig, params: dict) -> list:
    """The ``param`` constraints the launch parameters break."""
    return [c for c in cfg.constraints if 'param' in c
            and any(v > 0 for v in _bound_values(c, params.get(c['param'])))]


def report_violations(cfg: SearchConfig, history) -> list:
    """The ``check: report`` constraints a running job already breaks."""
    return [c for c in cfg.constraints if c.get('check') == 'report'
            and _last(history, c['scalar']) is not None
            and any(v > 0 for v in _bound_values(
                c, _last(history, c['scalar'])))]


def violated_so_far(cfg: SearchConfig, history) -> bool:
    """Whether a scalar the job reported already breaks its bound (an
    unreported scalar is not held against a running job)."""
    return any(_last(history, c['scalar']) is not None
               and any(v > 0 for v in _bound_values(
                   c, _last(history, c['scalar'])))
               for c in cfg.constraints if 'scalar' in c)


def _constraints_func(frozen_trial):
    return frozen_trial.user_attrs.get('constraints', [1.0])


def _ask_tell_grid_sampler(grid, seed):
    import optuna

    class AskTellGridSampler(optuna.samplers.GridSampler):
        """GridSampler whose exhaustion does not call ``study.stop()``.

        That call only works inside ``study.optimize``; under ask/tell the
        controller itself stops at ``max_jobs`` (at most the grid size).
        """

        def after_trial(self, study, trial, state, values):
            pass

    return AskTellGridSampler(grid, seed=seed)


def _children_sampler(cfg: SearchConfig, seed, constraints):
    """NSGA-II whose generations hold ``num_children`` new trials while the
    elite (parent) population keeps ``population_size``: the seed's
    ``--pop_size 50 --num_children 10``. Generation 0, the random initial
    population, holds ``population_size`` trials.
    """
    import optuna
    from optuna.samplers.nsgaii._elite_population_selection_strategy \
        import NSGAIIElitePopulationSelectionStrategy
    from optuna.trial import TrialState

    class ChildrenNSGAIISampler(optuna.samplers.NSGAIISampler):
        """Args: initial: the size of generation 0; the base class's
        ``population_size`` is the size of every later generation.

        A trial stopped early by the pruner is a member too, judged by its
        last reported value (Optuna stores it as the pruned trial's value),
        so Hyperband's short jobs still feed the evolution; one stopped by
        a constraint before reporting a reward is not a member.
        """

        def __init__(self, initial, **kwargs):
            super().__init__(**kwargs)
            self.initial = initial

        def _members(self, study):
            # A trial stopped by a constraint before any reward is no
            # member: the population keeps to configurations that hold
            # (the seed's rule), and it cost (almost) nothing.
            return [t for t in study._get_trials(
                deepcopy=False, states=[TrialState.COMPLETE,
                                        TrialState.PRUNED], use_cache=True)
                    if t.values is not None]

        def get_population(self, study, generation):
            key = self._get_generation_key()
            return [t for t in self._members(study)
                    if t.system_attrs.get(key) == generation]

        def get_trial_generation(self, study, trial):
            key = self._get_generation_key()
            generation = trial.system_attrs.get(key)
            if generation is not None:
                return generation
            counts = {}
            for t in self._members(study):
                g = t.system_attrs.get(key, -1)
                counts[g] = counts.get(g, 0) + 1
            generation = max([g for g in counts if g >= 0], default=0)
            size = self.initial if generation == 0 else self.population_size
            if counts.get(generation, 0) >= size:
                generation += 1
            optuna_internals.set_system_attr(study, trial, key, generation)
            return generation

    elite = NSGAIIElitePopulationSelectionStrategy(
        population_size=cfg.population_size, constraints_func=constraints)
    sampler = ChildrenNSGAIISampler(
        cfg.population_size, seed=seed, constraints_func=constraints,
        population_size=cfg.population_size,
        elite_population_selection_strategy=elite)
    # Set after construction: the base checks population_size >= the
    # crossover's parents, which come from the elite population here.
    sampler.population_size = cfg.num_children
    return sampler


def build_sampler(cfg: SearchConfig):
    import optuna
    seed = cfg.seed
    constraints = _constraints_func if cfg.constraints else None
    if cfg.sampler == 'grid':
        return _ask_tell_grid_sampler(cfg.space.grid(), seed)
    if cfg.sampler == 'random':
        return optuna.samplers.RandomSampler(seed=seed)
    # Optuna (through 4.6) marks the ``constraints_func`` argument of both
    # samplers experimental and warns on every construction with it; the
    # user cannot act on that, so it is silenced here and only here.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            'ignore', r'Argument ``(constraints_func|elite_population_selec'
            r'tion_strategy)`` is an experimental',
            optuna.exceptions.ExperimentalWarning)
        if cfg.sampler == 'tpe':
            return optuna.samplers.TPESampler(
                seed=seed, constraints_func=constraints,
                n_startup_trials=min(10, max(2, cfg.max_jobs // 4)))
        if cfg.sampler == 'evolution':
            if cfg.num_children is None:
                return optuna.samplers.NSGAIISampler(
                    seed=seed, constraints_func=constraints,
                    population_size=cfg.population_size)
            return _children_sampler(cfg, seed, constraints)
    raise ValueError(cfg.sampler)


#: Set on a running trial once it breaks a constraint (FeasibleFirst).
VIOLATING = 'gml:violating'


def _feasible_first(base, maximize: bool):
    """Wrap an Optuna pruner so that its rungs rank feasible trials above
    infeasible ones, as the constrained EA's population does.

    A trial marked ``VIOLATING`` is shown to ``base`` with its intermediate
    values moved far below (maximize) or above (minimize) any real value;
    rung comparisons only order values, so every feasible trial outranks
    it and infeasible trials keep their order among themselves.
    """
    import copy

    import optuna
    shift = -1e12 if maximize else 1e12

    class FeasibleFirstPruner(optuna.pruners.BasePruner):
        """Args: base: the wrapped pruner."""

        def __init__(self, base):
            self.base = base

        def prune(self, study, trial):
            if trial.user_attrs.get(VIOLATING):
                trial = copy.copy(trial)
                trial.intermediate_values = {
                    k: v + shift for k, v in trial.intermediate_values.items()}
            return self.base.prune(study, trial)

    return FeasibleFirstPruner(base)


def build_pruner(cfg: SearchConfig):
    import optuna
    options = {k: v for k, v in cfg.early_stop.items()
               if k not in ('type', 'feasible_first')}
    kind = cfg.early_stop['type']
    if kind == 'hyperband':
        options.setdefault('min_resource', 1)
        pruner = optuna.pruners.HyperbandPruner(**options)
    elif kind == 'asha':
        options.setdefault('min_resource', 1)
        pruner = optuna.pruners.SuccessiveHalvingPruner(**options)
    elif kind == 'median':
        options.setdefault('n_startup_trials', 2)
        pruner = optuna.pruners.MedianPruner(**options)
    else:
        return optuna.pruners.NopPruner()
    if cfg.constraints and cfg.early_stop.get('feasible_first', True):
        pruner = _feasible_first(pruner, cfg.mode == 'max')
    return pruner


def _wal_sqlite(dbapi_connection, connection_record):
    # WAL with synchronous=NORMAL: a commit survives the controller being
    # killed (even SIGKILL), only an OS crash may lose the last ones, and a
    # commit costs no fsync (about 10x faster ask/tell on a plain disk).
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.close()


def open_storage(storage_url: str):
    import optuna
    from sqlalchemy import event
    storage = optuna.storages.RDBStorage(storage_url)
    event.listen(storage.engine, 'connect', _wal_sqlite)
    storage.engine.dispose()  # later connections get the pragmas
    return storage


def open_study(cfg: SearchConfig, task, name: str):
    """Create or load the task's study (same name, same storage).

    Returns ``(study, flush, close)``: ``flush()`` writes the pending
    study operations (the journal is written in batches, see
    gml.hpo.journal); ``close()`` flushes and closes it.
    """
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    direction = 'maximize' if cfg.mode == 'max' else 'minimize'
    if os.path.exists(task.legacy_db):
        storage = open_storage('sqlite:///' + task.legacy_db)
        flush = close = (lambda: None)
    else:
        from .journal import BatchedJournalFile
        backend = BatchedJournalFile(task.journal)
        storage = optuna.storages.JournalStorage(backend)
        flush, close = backend.flush, backend.close
    study = optuna.create_study(
        storage=storage, study_name=name, direction=direction,
        load_if_exists=True, sampler=build_sampler(cfg),
        pruner=build_pruner(cfg))
    return study, flush, close


running_trial = optuna_internals.running_trial  # its old import path
