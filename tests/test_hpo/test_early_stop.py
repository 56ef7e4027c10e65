"""Early stopping on the demo: worse jobs stop before their last epoch."""
import copy

import pytest

from .helpers import demo_project, hpo, job_infos, write_yaml

pytestmark = pytest.mark.slow

EPOCHS = 9
SEARCH = {
    'task': {
        'template': 'python train_digits.py --lr {lr} --batch-size '
                    f'{{batch-size}} --epochs {EPOCHS} --gamma 0.95',
        'search_args': [
            {'type': 'Categorical', 'name': 'lr',
             'value': [0.02, 0.1, 0.5, 2.0]},
            {'type': 'Categorical', 'name': 'batch-size', 'value': [16, 256]},
        ],
    },
    'search': {'concurrency': 2, 'reward_attribute': 'acc', 'seed': 0,
               'poll_interval': 0.05},
}


def epochs_run(root, task):
    """Epochs each job trained, read from what it reported."""
    from gml.hpo.rewards import read_history
    out = {}
    for name, info in job_infos(root, task).items():
        history = read_history(info['run_path'])
        out[name] = (info['status'], max(history['acc']))
    return out


@pytest.fixture(scope='module')
def project(tmp_path_factory):
    """The demo project with the search run once without early stopping."""
    root = demo_project(tmp_path_factory.mktemp('es'))
    plain = copy.deepcopy(SEARCH)
    plain['search']['concurrency'] = 4
    write_yaml(root / 'plain.yaml', plain)
    hpo(root, 'search-run', '--task', 'plain', 'plain.yaml', check=0)
    return root


@pytest.mark.parametrize('pruner', ['hyperband', 'asha'])
def test_early_stop_saves_epochs_on_the_demo(project, pruner):
    root = project
    stopped = copy.deepcopy(SEARCH)
    stopped['search'].update(sync_reports=True, early_stop={
        'type': pruner, 'min_resource': 1, 'reduction_factor': 3})
    if pruner == 'hyperband':
        stopped['search']['early_stop']['max_resource'] = EPOCHS
    write_yaml(root / 'stopped.yaml', stopped)

    hpo(root, 'search-run', '--task', pruner, 'stopped.yaml', check=0)
    plain_epochs = epochs_run(root, 'plain')
    es_epochs = epochs_run(root, pruner)
    assert all(s == 'finished' and e == EPOCHS
               for s, e in plain_epochs.values())
    pruned = {n: e for n, (s, e) in es_epochs.items() if s == 'pruned'}
    assert any(e < EPOCHS for e in pruned.values())
    assert sum(e for _, e in es_epochs.values()) < sum(
        e for _, e in plain_epochs.values())
    # The pruner stops the worse ones: every pruned job's accuracy at the
    # step it stopped is below the best finished job's at that step.
    from gml.hpo.rewards import read_history
    histories = {n: read_history(i['run_path'])['acc']
                 for n, i in job_infos(root, pruner).items()}
    finished = [n for n, (s, _) in es_epochs.items() if s == 'finished']
    for name, step in pruned.items():
        assert histories[name][step] < max(histories[f][step]
                                           for f in finished)
