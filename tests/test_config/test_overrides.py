import pytest

from gml.config.overrides import ConfigError, parse_cfg_options


def test_values_are_typed():
    opts = parse_cfg_options([
        'a.b=1', 'lr=0.5', 'flag=True', 'x=None', 'name=foo', 'l=[1, 2]',
        't=(1,2)', 'c=a,b', 'd={"k": 1}'
    ])
    assert opts == {'a.b': 1, 'lr': 0.5, 'flag': True, 'x': None,
                    'name': 'foo', 'l': [1, 2], 't': (1, 2), 'c': ['a', 'b'],
                    'd': {'k': 1}}


def test_dict_calls_as_in_configs():
    opts = parse_cfg_options(["h=[dict(type='X', rank=1, n=dict(a=[1]))]",
                              "d=dict(k=(1, 2))"])
    assert opts == {'h': [{'type': 'X', 'rank': 1, 'n': {'a': [1]}}],
                    'd': {'k': (1, 2)}}


@pytest.mark.parametrize('value', ["[open('f')]", "dict(**x)", "[dict(1)]",
                                   "__import__('os')"])
def test_other_calls_are_refused(value):
    with pytest.raises(ConfigError, match='malformed value'):
        parse_cfg_options([f'k={value}'])


def test_value_keeps_equals_signs():
    assert parse_cfg_options(['p=a=b']) == {'p': 'a=b'}


@pytest.mark.parametrize('entry,words', [
    ('model.depth', ['model.depth', 'KEY=VALUE']),
    ('=3', ['empty key']),
    ('a..b=3', ['empty key']),
    ('a=[1,2', ['malformed value', '[1,2']),
    ('a=(1', ['malformed value']),
    ('a=x]', ['unbalanced']),
])
def test_bad_entries_are_named(entry, words):
    with pytest.raises(ConfigError) as err:
        parse_cfg_options([entry])
    for word in words:
        assert word in str(err.value)
