import pytest

from gml.structures import (SubnetError, dump_subnet, load_subnet,
                            validate_subnet)

SPACE = {'backbone.layers.0.0': ['a', 'b'], 'backbone.layers.0.1': ['a', 'b']}


def test_dump_load_round_trip(tmp_path):
    subnet = {'backbone.layers.0.0': 'b', 'backbone.layers.0.1': 'a'}
    path = str(tmp_path / 'subnet.yaml')
    dump_subnet(subnet, path, extra={'accuracy/top1': 91.5})
    text = open(path).read()
    assert text.startswith('# accuracy/top1: 91.5\n')
    assert 'backbone.layers.0.0:\n  chosen: b' in text
    assert load_subnet(path) == subnet


def test_old_toolbox_list_format_and_plain_mapping(tmp_path):
    path = tmp_path / 'old.yaml'
    path.write_text('x:\n  chosen:\n  - a\ny: b\n')
    assert load_subnet(str(path)) == {'x': 'a', 'y': 'b'}


def test_bad_files_name_the_file_and_entry(tmp_path):
    with pytest.raises(SubnetError, match='does not exist'):
        load_subnet(str(tmp_path / 'missing.yaml'))
    bad = tmp_path / 'bad.yaml'
    bad.write_text('x: {choice: a}\n')
    with pytest.raises(SubnetError, match=r"bad.yaml.*'x' has no `chosen`"):
        load_subnet(str(bad))
    bad.write_text('- a\n- b\n')
    with pytest.raises(SubnetError, match='expected a mapping'):
        load_subnet(str(bad))


def test_validate_names_block_and_allowed_choices():
    with pytest.raises(SubnetError) as e:
        validate_subnet({'backbone.layers.0.0': 'a',
                         'backbone.layers.0.1': 'z'}, SPACE, 'my.yaml')
    msg = str(e.value)
    assert "my.yaml" in msg and "'backbone.layers.0.1'" in msg
    assert "'z'" in msg and "['a', 'b']" in msg
    with pytest.raises(SubnetError, match=r'has 1 blocks, the search space '
                       r"has 2; missing blocks: \['backbone.layers.0.1'\]"):
        validate_subnet({'backbone.layers.0.0': 'a'}, SPACE, 'my.yaml')
