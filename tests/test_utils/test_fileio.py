import os

import pytest

from gml.utils.fileio import atomic_dump_yaml, atomic_write_text


def test_atomic_write_replaces_whole_file(tmp_path):
    path = str(tmp_path / 'state.yaml')
    atomic_dump_yaml({'a': 1}, path)
    atomic_dump_yaml({'b': 2}, path)
    assert open(path).read() == 'b: 2\n'
    assert os.listdir(tmp_path) == ['state.yaml']  # no temp files left


def test_failed_write_keeps_old_content(tmp_path):
    path = str(tmp_path / 'state.txt')
    atomic_write_text(path, 'old')

    class Boom:
        def __str__(self):
            raise RuntimeError('boom')

    with pytest.raises(TypeError):
        atomic_write_text(path, Boom())  # write() rejects a non-str
    assert open(path).read() == 'old'
    assert os.listdir(tmp_path) == ['state.txt']
