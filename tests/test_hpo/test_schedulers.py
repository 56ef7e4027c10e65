"""Samplers other than grid, driven through Optuna's ask/tell interface."""
import pytest

from .helpers import hpo, job_infos, write_script, write_yaml

pytestmark = pytest.mark.slow

# Accuracy grows with width; `params` is what the constraint caps.
WIDTH_JOB = """\
import argparse
from gml.hpo import report
p = argparse.ArgumentParser()
p.add_argument('--hidden', type=int)
p.add_argument('--lr', type=float)
a = p.parse_args()
report(params=a.hidden * 100.0, step=0)
report(acc=a.hidden + a.lr, step=1)
"""


@pytest.mark.parametrize('sampler', ['random', 'tpe', 'evolution'])
def test_sampler_runs_ranges_and_tells_rewards(tmp_path, sampler):
    write_script(tmp_path / 'job.py', WIDTH_JOB)
    hpo(tmp_path, 'search-init', check=0)
    search = {'type': sampler, 'max_jobs': 6, 'concurrency': 2, 'seed': 1,
              'reward_attribute': 'acc'}
    if sampler != 'random':
        search['constraints'] = [{'scalar': 'params', 'max': 4000}]
    if sampler == 'evolution':
        search['population_size'] = 3
    write_yaml(tmp_path / 's.yaml', {
        'task': {'template': 'python job.py --hidden {hidden} --lr {lr}',
                 'search_args': [
                     {'type': 'Int', 'name': 'hidden', 'low': 8,
                      'high': 128, 'step': 8},
                     {'type': 'Float', 'name': 'lr', 'low': 0.01,
                      'high': 1.0, 'log': True}]},
        'search': search})
    hpo(tmp_path, 'search-run', 's.yaml', check=0)
    infos = job_infos(tmp_path)
    assert len(infos) == 6
    for info in infos.values():
        p = info['params']
        assert p['hidden'] % 8 == 0 and 8 <= p['hidden'] <= 128
        assert 0.01 <= p['lr'] <= 1.0
        assert info['reward'] == pytest.approx(p['hidden'] + p['lr'])

    # The task's journal is Optuna's own format: its file backend reads it.
    import optuna
    from optuna.storages.journal import JournalFileBackend
    study = optuna.load_study(
        study_name='default', storage=optuna.storages.JournalStorage(
            JournalFileBackend(
                f'{tmp_path}/.search-run/tasks/default/optuna.log')))
    trials = {t.number: t for t in study.trials}
    assert len(trials) == 6
    for info in infos.values():
        trial = trials[info['trial']]
        assert trial.state == optuna.trial.TrialState.COMPLETE
        assert trial.value == pytest.approx(info['reward'])
        if sampler != 'random':
            # Optuna's convention: <= 0 means the constraint holds.
            assert trial.user_attrs['constraints'] == [
                info['params']['hidden'] * 100.0 - 4000]


def test_rewards_from_an_unmodified_mmengine_run(tmp_path, repo_root):
    """tools/train.py on a gml config: rewards come from scalars.json."""
    import shutil
    shutil.copytree(f'{repo_root}/configs', tmp_path / 'configs')
    shutil.copytree(f'{repo_root}/tools', tmp_path / 'tools')
    hpo(tmp_path, 'search-init', check=0)
    write_yaml(tmp_path / 's.yaml', {
        'task': {'template': 'python tools/train.py configs/classification/'
                             'digits/resnet18_digits.py --work-dir '
                             'work_dirs/hpo --cfg-options '
                             'optim_wrapper.optimizer.lr={lr} '
                             'train_cfg.max_epochs=2 '
                             'train_dataloader.dataset.indices=256 '
                             'val_dataloader.dataset.indices=120',
                 'search_args': [{'type': 'Categorical', 'name': 'lr',
                                  'value': [0.1]}]},
        'search': {'reward_attribute': 'accuracy/top1'}})
    out = hpo(tmp_path, 'search-run', 's.yaml', check=0)
    info = job_infos(tmp_path)['0']
    assert info['status'] == 'finished', open(info['log_path']).read()[-2000:]
    from gml.hpo.rewards import read_history
    history = read_history(info['run_path'])
    assert sorted(history['accuracy/top1']) == [1, 2]  # one per val epoch
    assert info['reward'] == history['accuracy/top1'][2]
    assert 'accuracy/top1=' in out.stdout


@pytest.mark.parametrize('sampler', ['tpe', 'evolution'])
def test_constrained_samplers_do_not_warn_experimental(sampler):
    """Optuna warns that ``constraints_func`` is experimental; the user
    cannot act on it, so building the sampler shows no warning."""
    import warnings
    from gml.hpo.config import parse_search_config
    from gml.hpo.schedulers import build_sampler
    cfg = parse_search_config({
        'task': {'template': 'x {lr}', 'search_args': [
            {'type': 'Float', 'name': 'lr', 'low': 0.1, 'high': 1.0}]},
        'search': {'type': sampler, 'max_jobs': 4, 'reward_attribute': 'acc',
                   'constraints': [{'scalar': 'params', 'max': 10}]}})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        build_sampler(cfg)
    assert [str(w.message) for w in caught] == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        import optuna
        optuna.samplers.TPESampler(constraints_func=lambda t: [0.0])
    # The filter is local: the same call elsewhere still warns.
    assert any('constraints_func' in str(w.message) for w in caught)
