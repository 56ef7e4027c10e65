"""The HPO demo on real data: the seed's yaml shape searching
train_fashion_mnist.py (PyTorch's mnist.py network on Fashion-MNIST) under
the "< 100 K params" budget, run as a user would (search-init, search-run),
on a slice so it takes seconds."""
import os

import pytest
import yaml

from .helpers import DEMO, hpo, job_infos, write_yaml

SCRIPT = os.path.join(DEMO, 'train_fashion_mnist.py')


def _yaml(name, **search):
    with open(os.path.join(DEMO, name)) as f:
        cfg = yaml.safe_load(f)
    cfg['task']['template'] = cfg['task']['template'].replace(
        'python train_fashion_mnist.py', f'python {SCRIPT}').replace(
        '--train-size 5000', '--train-size 256')
    cfg['search'].update(search)
    return cfg


@pytest.mark.fashion_mnist
def test_ea_hyperband_yaml_starts_from_the_feasible_default(tmp_path):
    hpo(tmp_path, 'search-init', check=0)
    path = write_yaml(tmp_path / 'ea.yaml', _yaml(
        'search_ea_hyperband_fashion_mnist.yaml', max_jobs=1))
    hpo(tmp_path, 'search-run', '--task', 'ea', path, check=0, timeout=600)
    with open(tmp_path / '.search-run/tasks/ea/best.yaml') as f:
        best = yaml.safe_load(f)
    # the default configuration runs first and is under the budget: conv
    # 1->8 and 8->16 (3x3), fc 16*12*12 -> 32 -> 10
    assert best['params'] == dict(lr=1.0, gamma=0.7, width=8, hidden=32)
    assert best['feasible'] is True
    assert best['constraints'][0]['value'] == 80 + 1168 + 73760 + 330
    # 3 epochs on 256 real images: well above chance (10 %) on 5,000 val
    assert 30.0 < best['reward'] <= 100.0


@pytest.mark.fashion_mnist
def test_an_over_budget_job_stops_at_its_first_report(tmp_path):
    hpo(tmp_path, 'search-init', check=0)
    cfg = _yaml('search_random_fashion_mnist.yaml', max_jobs=1)
    # width 16, hidden 128: fc1 alone has 4,608 * 128 weights
    cfg['task']['search_args'] = [
        a if a['name'] not in ('width', 'hidden') else
        dict(a, low=a['high']) for a in cfg['task']['search_args']]
    path = write_yaml(tmp_path / 'r.yaml', cfg)
    out = hpo(tmp_path, 'search-run', '--task', 'r', path, check=0,
              timeout=600)
    info, = job_infos(tmp_path, 'r').values()
    assert 'pruned (infeasible)' in out.stdout + out.stderr
    assert info['status'] == 'pruned'
