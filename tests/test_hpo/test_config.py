"""The search yaml: expansion of the documented example and clear errors."""
import pytest

from gml.hpo.config import parse_search_config
from gml.hpo.errors import SearchError
from gml.hpo.template import render

from .helpers import DOC_YAML


def commands(cfg):
    return sorted(render(cfg.template, cfg.space.decode(p))
                  for p in cfg.space.grid_points())


def test_documented_yaml_expands_to_eight_commands():
    cfg = parse_search_config(DOC_YAML)
    assert cfg.sampler == 'grid' and cfg.max_jobs == 8
    expected = sorted(
        f'python train_digits.py --lr {lr} --batch-size {bs} --epochs {e} '
        f'--gamma {g}' for e in (3, 5) for g in (0.7, 0.8)
        for lr, bs in ((0.5, 64), (1, 128)))
    assert commands(cfg) == expected
    assert len(set(expected)) == 8


def test_numeric_ranges_give_optuna_distributions_and_grid_with_step():
    raw = {'task': {'template': 'x {lr} {n}', 'search_args': [
        {'type': 'Float', 'name': 'lr', 'low': 0.1, 'high': 0.3,
         'step': 0.1},
        {'type': 'Int', 'name': 'n', 'low': 1, 'high': 8, 'log': True}]},
        'search': {'type': 'tpe', 'max_jobs': 4, 'reward_attribute': 'acc'}}
    cfg = parse_search_config(raw)
    dists = cfg.space.distributions()
    assert dists['lr'].step == pytest.approx(0.1)
    assert dists['n'].log and dists['n'].high == 8
    assert cfg.space.grid() is None  # the log Int has no finite grid
    raw['task']['search_args'][1] = {'type': 'Int', 'name': 'n', 'low': 1,
                                     'high': 5, 'step': 2}
    raw['search'] = {}
    cfg = parse_search_config(raw)
    assert cfg.space.grid() == {'lr': [0.1, 0.2, 0.3], 'n': [1, 3, 5]}
    assert cfg.max_jobs == 9


@pytest.mark.parametrize('mutate, message', [
    (lambda r: r['task']['search_args'].append(
        {'type': 'Loguniform', 'name': 'x', 'value': [1]}),
     "task.search_args[3].type: unknown type 'Loguniform'"),
    (lambda r: r['task'].update(template=r['task']['template'] + ' {seed}'),
     'task.template: placeholder(s) {seed} have no search argument'),
    (lambda r: r['task']['search_args'].append(
        {'type': 'Categorical', 'name': 'wd', 'value': [1]}),
     "task.search_args: ['wd'] never used in task.template"),
    (lambda r: r['task']['search_args'][0].update(value=[]),
     'task.search_args[0].value: empty'),
    (lambda r: r.update(search={'type': 'tpe', 'max_jobs': 3}),
     'search.reward_attribute: required'),
    (lambda r: r.update(search={'type': 'random'}),
     'search.max_jobs: required'),
    (lambda r: r.update(search={'early_stop': 'sometimes',
                                'reward_attribute': 'acc'}),
     'search.early_stop: got'),
    (lambda r: r.update(launcher={'type': 'kubernetes'}),
     "launcher.type: got 'kubernetes'"),
])
def test_bad_config_names_the_key(mutate, message):
    import copy
    raw = copy.deepcopy(DOC_YAML)
    mutate(raw)
    with pytest.raises(SearchError, match=None) as err:
        parse_search_config(raw)
    assert message in str(err.value)


def test_shell_variables_are_not_placeholders():
    raw = {'task': {'template': 'python t.py --out ${HOME}/x --lr {lr}',
                    'search_args': [{'type': 'Categorical', 'name': 'lr',
                                     'value': [1]}]}}
    cfg = parse_search_config(raw)
    assert commands(cfg) == ['python t.py --out ${HOME}/x --lr 1']


def test_format_specs_in_templates_format_the_value():
    raw = {'task': {'template': 'python t.py --lr {lr:.3f} --n {n:03d} '
                                "--tag {tag:>4} | awk '{ print $1 }'",
                    'search_args': [
                        {'type': 'Categorical', 'name': 'lr',
                         'value': [0.5, 0.12345]},
                        {'type': 'Categorical', 'name': 'n', 'value': [7]},
                        {'type': 'Categorical', 'name': 'tag',
                         'value': ['a']}]}}
    cfg = parse_search_config(raw)
    assert commands(cfg) == [
        "python t.py --lr 0.123 --n 007 --tag '   a' | awk '{ print $1 }'",
        "python t.py --lr 0.500 --n 007 --tag '   a' | awk '{ print $1 }'"]


def test_format_specs_are_checked_against_range_ends():
    raw = {'task': {'template': 'python t.py --n {n:.2f} --lr {lr:d}',
                    'search_args': [
                        {'type': 'Int', 'name': 'n', 'low': 1, 'high': 9},
                        {'type': 'Float', 'name': 'lr', 'low': 0.1,
                         'high': 1.0}]},
           'search': {'type': 'random', 'max_jobs': 2}}
    with pytest.raises(SearchError, match=r'\{lr:d\} cannot format the '
                       r'value 0\.1'):
        parse_search_config(raw)


def test_search_errors_are_user_errors():
    from gml.utils.errors import UserError
    assert issubclass(SearchError, UserError)
