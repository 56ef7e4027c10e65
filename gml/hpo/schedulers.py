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

from .config import SearchConfig


def constraint_values(cfg: SearchConfig, history) -> list:
    """Optuna's convention: each value <= 0 means that constraint holds."""
    values = []
    for c in cfg.constraints:
        series = history.get(c['scalar'])
        if not series:
            values.append(1.0)  # never reported: treat as violated
            continue
        last = series[max(series)]
        if 'max' in c:
            values.append(last - c['max'])
        if 'min' in c:
            values.append(c['min'] - last)
    return values


def constraint_scalars(cfg: SearchConfig, history) -> dict:
    """The last reported value of each constrained scalar (None: never)."""
    out = {}
    for c in cfg.constraints:
        series = history.get(c['scalar'])
        out[c['scalar']] = series[max(series)] if series else None
    return out


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
            'ignore', r'Argument ``constraints_func`` is an experimental',
            optuna.exceptions.ExperimentalWarning)
        if cfg.sampler == 'tpe':
            return optuna.samplers.TPESampler(
                seed=seed, constraints_func=constraints,
                n_startup_trials=min(10, max(2, cfg.max_jobs // 4)))
        if cfg.sampler == 'evolution':
            return optuna.samplers.NSGAIISampler(
                seed=seed, constraints_func=constraints,
                population_size=cfg.population_size)
    raise ValueError(cfg.sampler)


def build_pruner(cfg: SearchConfig):
    import optuna
    options = {k: v for k, v in cfg.early_stop.items() if k != 'type'}
    kind = cfg.early_stop['type']
    if kind == 'hyperband':
        options.setdefault('min_resource', 1)
        return optuna.pruners.HyperbandPruner(**options)
    if kind == 'asha':
        options.setdefault('min_resource', 1)
        return optuna.pruners.SuccessiveHalvingPruner(**options)
    if kind == 'median':
        options.setdefault('n_startup_trials', 2)
        return optuna.pruners.MedianPruner(**options)
    return optuna.pruners.NopPruner()


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


def running_trial(study, number: int):
    """The ``optuna.Trial`` of a RUNNING trial, also after a restart."""
    import optuna
    trial_id = study._storage.get_trial_id_from_study_id_trial_number(
        study._study_id, number)
    return optuna.Trial(study, trial_id)
