"""The few Optuna internals the HPO controller needs, behind one adapter.

Why they are needed: the controller outlives no trial object. After a
restart (``search-ctl resume``, a killed controller) it must reattach to
a RUNNING trial by its number, read what that trial already reported so
a report is not given twice, and mark a trial before telling it (its
constraint values, its generation). Optuna's public API reaches trials
only through ``ask()``/``tell()`` on objects of the same process, so
these go through ``study._storage`` and ``study._study_id``, which every
Optuna 3.x/4.x storage keeps (the version is pinned in
``requirements/constraints.txt``; ``tests/test_hpo`` exercises each call).
"""


def trial_id(study, number: int) -> int:
    """The storage id of trial ``number`` of ``study``."""
    return study._storage.get_trial_id_from_study_id_trial_number(
        study._study_id, number)


def running_trial(study, number: int):
    """The ``optuna.Trial`` of a RUNNING trial, also after a restart."""
    import optuna
    return optuna.Trial(study, trial_id(study, number))


def reported_steps(study, trial) -> dict:
    """``{step: value}`` the trial has reported so far, from the storage
    (not from a cached frozen trial)."""
    return study._storage.get_trial(trial._trial_id).intermediate_values


def is_finished(study, number: int) -> bool:
    return study._storage.get_trial(
        trial_id(study, number)).state.is_finished()


def set_user_attr(study, number: int, key: str, value) -> None:
    """A user attribute on trial ``number``, running or not yet told."""
    study._storage.set_trial_user_attr(trial_id(study, number), key, value)


def set_system_attr(study, trial, key: str, value) -> None:
    """A system attribute on ``trial`` (a Trial or FrozenTrial): what
    samplers read, e.g. a generation."""
    study._storage.set_trial_system_attr(trial._trial_id, key, value)
