"""The adapter over Optuna's storage: a trial found again by its number,
as a restarted controller does, with what it reported and its marks."""
import optuna

from gml.hpo import optuna_internals as oi


def test_reattach_report_mark_and_finish():
    study = optuna.create_study(storage=optuna.storages.InMemoryStorage())
    first = study.ask()
    first.report(0.5, step=1)
    again = oi.running_trial(study, first.number)  # a new process's view
    assert again.number == first.number
    assert oi.reported_steps(study, again) == {1: 0.5}
    oi.set_user_attr(study, first.number, 'constraints', [0.0])
    oi.set_system_attr(study, again, 'gml:generation', 2)
    assert not oi.is_finished(study, first.number)
    study.tell(first.number, 1.0)
    assert oi.is_finished(study, first.number)
    done = study.trials[0]
    assert done.user_attrs['constraints'] == [0.0]
    assert done.system_attrs['gml:generation'] == 2
