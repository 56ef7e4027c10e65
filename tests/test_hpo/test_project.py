"""A job's copy of the project, the batched journal and callback parsing
(in-process, no search-run)."""
import json
import os

import pytest

from gml.hpo.callbacks import parse_results
from gml.hpo.errors import SearchError
from gml.hpo.project import (Selection, parse_size, populate, select,
                             snapshot)


def _tree(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_plain_folder_selection_leaves_out_envs_outputs_caches(tmp_path):
    _tree(tmp_path, {
        'train.py': 'x', 'configs/a.py': 'y', 'configs/b/c.py': 'z',
        'env/pyvenv.cfg': 'home', 'env/lib/big.so': 'v',  # a venv, any name
        'conda/conda-meta/history': 'c', 'sub/work_dirs/old/scalars.json':
        '{}', 'work_dirs/x': '1', 'pkg/__pycache__/m.pyc': 'b',
        'pkg/m.py': 'm', 'pkg/stale.pyc': 'b', '.pytest_cache/v': 'c',
        'log/readme': 'a folder named like the job log', '.git/HEAD': 'ref'})
    (tmp_path / '.search-run').mkdir()
    os.symlink('configs', tmp_path / 'cfg-link')
    sel = select(str(tmp_path))
    assert not sel.git
    assert sorted(sel.files) == ['configs/a.py', 'configs/b/c.py',
                                 'pkg/m.py', 'train.py']
    assert sel.symlinks == ['cfg-link']
    assert sel.left_out == {
        '.git': 'version control', '.pytest_cache': 'cache',
        '.search-run': 'search state', 'conda': 'virtual environment',
        'env': 'virtual environment', 'log': 'name used by the job folder',
        'pkg/__pycache__': 'cache', 'pkg/stale.pyc': 'cache',
        'sub/work_dirs': 'training outputs', 'work_dirs': 'training outputs'}
    assert sel.size == 4 and sel.sizes == {'configs': 2, 'pkg': 1,
                                           'train.py': 1}


@pytest.mark.parametrize('mode', ['hardlink', 'copy', 'symlinks'])
def test_populate_modes(tmp_path, mode):
    project = tmp_path / 'p'
    _tree(project, {'a.py': 'a', 'd/b.py': 'b', 'data/x.bin': 'x'})
    sel = select(str(project), link=['data'])
    assert sel.links == ['data'] and 'data/x.bin' not in sel.files
    snap = str(tmp_path / 'snap')
    if mode != 'symlinks':
        assert snapshot(sel, snap, mode) == mode
    job = tmp_path / 'job'
    populate(sel, snap, str(job), mode)
    assert (job / 'd/b.py').read_text() == 'b'
    assert os.path.realpath(job / 'data') == str(project / 'data')
    same_inode = os.stat(job / 'a.py').st_ino == os.stat(
        os.path.join(snap, 'a.py')).st_ino if mode != 'symlinks' else None
    if mode == 'hardlink':
        assert same_inode
        assert not os.stat(job / 'a.py').st_mode & 0o222  # read-only
    elif mode == 'copy':
        assert not same_inode
        (job / 'a.py').write_text('changed')  # the job's own file
        assert open(os.path.join(snap, 'a.py')).read() == 'a'
    else:
        assert os.readlink(job / 'a.py') == str(project / 'a.py')
    # The manifest round-trips: resume gives later jobs the same files.
    sel.save(str(tmp_path / 'm.json'))
    assert Selection.load(str(tmp_path / 'm.json')) == sel


def test_link_must_be_inside_the_project(tmp_path):
    with pytest.raises(SearchError, match="--link '../x'"):
        select(str(tmp_path), link=['../x'])


@pytest.mark.parametrize('text, size', [('0', 0), ('500', 500),
                                        ('1K', 1024), ('1.5G', 3 << 29),
                                        ('2GiB', 2 << 30), ('10mb', 10 << 20)])
def test_parse_size(text, size):
    assert parse_size(text) == size


def test_parse_size_rejects_garbage():
    with pytest.raises(SearchError, match="--max-copy-size 'lots'"):
        parse_size('lots')


def test_batched_journal_drops_a_torn_line_and_stays_optuna_readable(
        tmp_path):
    import optuna
    from optuna.storages.journal import JournalFileBackend

    from gml.hpo.journal import BatchedJournalFile
    path = str(tmp_path / 'optuna.log')
    backend = BatchedJournalFile(path)
    storage = optuna.storages.JournalStorage(backend)
    study = optuna.create_study(storage=storage, study_name='s')
    trial = study.ask({'x': optuna.distributions.FloatDistribution(0, 1)})
    assert os.path.getsize(path) == 0  # nothing written before a flush
    backend.flush()
    study.tell(trial, 0.5)
    backend.close()
    with open(path, 'a') as f:
        f.write('{"op_code": 6, "worker')  # a write cut by a crash
    again = BatchedJournalFile(path)
    assert all(json.loads(line) for line in open(path))  # torn line gone
    study = optuna.load_study(study_name='s',
                              storage=optuna.storages.JournalStorage(again))
    assert study.trials[0].value == 0.5
    again.close()
    plain = optuna.load_study(study_name='s', storage=optuna.storages.
                              JournalStorage(JournalFileBackend(path)))
    assert [t.value for t in plain.trials] == [0.5]


def test_callback_output_parsing():
    out = parse_results("__benchmark_total_time(h): [0.5, 'xxx']\n"
                        "Test Acc: 0.95\nsome log line\nloss=0.25\n"
                        "# comment\nname: resnet\n\n")
    assert out == {'__benchmark_total_time(h)': [0.5, 'xxx'],
                   'Test Acc': 0.95, 'loss': 0.25, 'name': 'resnet'}
