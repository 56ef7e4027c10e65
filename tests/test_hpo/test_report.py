"""report() API, mmengine scalar reading and the light import of gml.hpo."""
import json
import os
import subprocess
import sys

import pytest

from gml.hpo import report
from gml.hpo.report import ENV_JOB_DIR, read_reports
from gml.hpo.rewards import read_history, reward

from .helpers import env


def test_report_writes_job_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_JOB_DIR, str(tmp_path))
    monkeypatch.delenv('RANK', raising=False)
    monkeypatch.delenv('SLURM_PROCID', raising=False)
    report(acc=50.0, step=1)
    report(acc=70.0, loss=0.5, step=2)
    report(acc=65.0)  # no step: numbered by count
    records = read_reports(str(tmp_path / 'reports.json'))
    assert records == [{'step': 1, 'acc': 50.0},
                       {'step': 2, 'acc': 70.0, 'loss': 0.5},
                       {'step': 2, 'acc': 65.0}]
    history = read_history(str(tmp_path))
    assert history['acc'] == {1: 50.0, 2: 65.0}
    assert reward(history, 'acc') == 65.0
    assert reward(history, 'acc', reduce='best') == 65.0
    assert reward(history, 'loss', mode='min', reduce='best') == 0.5
    assert reward(history, 'missing') is None
    # Only the temp-and-rename writer touched the folder: no leftovers.
    assert sorted(os.listdir(tmp_path)) == ['reports.json']


def test_report_is_noop_outside_a_search_and_on_other_ranks(
        tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_JOB_DIR, raising=False)
    report(acc=1.0, step=1)  # must not raise nor write anywhere
    monkeypatch.setenv(ENV_JOB_DIR, str(tmp_path))
    monkeypatch.setenv('RANK', '1')
    report(acc=1.0, step=1)
    assert os.listdir(tmp_path) == []
    monkeypatch.setenv('RANK', '0')
    with pytest.raises(TypeError, match='acc'):
        report(acc='high')


def test_reads_mmengine_scalars_json(tmp_path):
    vis = tmp_path / 'work_dirs' / 'cfg' / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    lines = [{'lr': 0.1, 'loss': 2.0, 'epoch': 1, 'iter': 10, 'step': 10},
             {'accuracy/top1': 61.5, 'data_time': 0.1, 'step': 1},
             {'accuracy/top1': 88.25, 'step': 2}]
    (vis / 'scalars.json').write_text(
        ''.join(json.dumps(x) + '\n' for x in lines) + '{"half": ')
    history = read_history(str(tmp_path))
    assert history['accuracy/top1'] == {1: 61.5, 2: 88.25}
    assert history['loss'] == {10: 2.0}
    assert 'epoch' not in history and 'iter' not in history


def test_gml_hpo_imports_without_torch_or_mmengine(tmp_path):
    code = ("import sys\n"
            "for m in ('torch', 'mmengine', 'mmpretrain'):\n"
            "    sys.modules[m] = None  # any import of them now fails\n"
            "import gml.hpo, gml.hpo.cli, gml.hpo.controller\n"
            "sys.argv = ['search-init']\n"
            "sys.exit(gml.hpo.cli.search_init())\n")
    out = subprocess.run([sys.executable, '-c', code], cwd=tmp_path,
                         env=env(), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / '.search-run' / 'summary.yaml').is_file()
