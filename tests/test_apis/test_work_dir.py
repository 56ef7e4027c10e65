"""check_work_dir: a work dir the run could not write is refused first.

Tests run as root, which a folder's mode does not stop; a read-only mount
(access() reports EROFS even to root) and a full disk are simulated at the
system calls the check makes.
"""
import os
from collections import namedtuple

import pytest

from gml.apis.cli import check_work_dir
from gml.utils.errors import UserError


def test_usable_work_dirs_pass(tmp_path):
    check_work_dir(str(tmp_path))
    check_work_dir(str(tmp_path / 'new' / 'deeper'))


@pytest.mark.parametrize('sub', ['f', 'f/run', 'f/a/b'])
def test_a_file_on_the_way_is_named(tmp_path, sub):
    (tmp_path / 'f').write_text('x')
    with pytest.raises(UserError, match=f"'{tmp_path / 'f'}'|"
                       f"'{tmp_path / sub}': the work dir is a file"):
        check_work_dir(str(tmp_path / sub))


def test_read_only_parent_is_named(tmp_path, monkeypatch):
    real = os.access
    monkeypatch.setattr(os, 'access', lambda p, m: (
        False if os.path.abspath(p) == str(tmp_path) else real(p, m)))
    with pytest.raises(UserError) as err:
        check_work_dir(str(tmp_path / 'run'))
    assert str(tmp_path) in str(err.value)
    assert 'not writable' in str(err.value)


def test_full_disk_is_named(tmp_path, monkeypatch):
    stat = namedtuple('stat', 'f_bavail f_frsize')
    monkeypatch.setattr(os, 'statvfs', lambda p: stat(0, 4096))
    with pytest.raises(UserError, match='no space left'):
        check_work_dir(str(tmp_path / 'run'))
