"""search-ctl dashboard: the task in optuna-dashboard, seen in Chromium."""
import os
import re
import shutil
import signal
import time

import pytest
import yaml

from ..chromium import chromium, dom_text
from .helpers import hpo, spawn, write_script, write_yaml

pytestmark = pytest.mark.slow

JOB = """\
import argparse
from gml.hpo import report
p = argparse.ArgumentParser()
p.add_argument('--lr', type=float)
p.add_argument('--bs', type=int)
p.add_argument('--epochs', type=int)
a = p.parse_args()
for e in range(1, a.epochs + 1):
    report(acc=90 + a.lr * e, top1=80 + e / a.bs, loss=1.0 / e, step=e)
"""
SEARCH = {
    'task': {'template': 'python job.py --lr {lr} --bs {batch-size} '
                         '--epochs {epochs}',
             'search_args': [
                 {'type': 'Categorical', 'name': 'epochs', 'value': [2, 3]},
                 {'type': 'Nested', 'value': [{'lr': 0.5, 'batch-size': 64},
                                              {'lr': 1, 'batch-size': 128}]},
             ]},
    'pavi': {'compare': {'name': 'compare_new'}, 'scalars': ['acc', 'top1']},
    'search': {'reward_attribute': 'acc', 'concurrency': 2},
}
LABELS = ('lr=0.5, batch-size=64', 'lr=1, batch-size=128')


@pytest.fixture(scope='module')
def task_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('dash')
    write_script(root / 'job.py', JOB)
    write_yaml(root / 's.yaml', SEARCH)
    hpo(root, 'search-init', check=0)
    hpo(root, 'search-run', '--task', 'cmp', 's.yaml', check=0)
    return root


def _infos(root):
    all_dir = root / '.search-run/tasks/cmp/jobs/all'
    return {n: yaml.safe_load((all_dir / n / 'job.yaml').read_text())
            for n in os.listdir(all_dir)}


def test_task_view_holds_each_job_params_and_curves(task_root):
    from gml.hpo.config import load_search_config
    from gml.hpo.dashboard import TaskView
    from gml.hpo.store import SearchRoot
    task = SearchRoot(str(task_root)).existing_task('cmp')
    view = TaskView(task, load_search_config(task.run_config))
    assert view.sync()
    trials = view.storage.get_all_trials(view.study_id)
    infos = _infos(task_root)
    assert [t.number for t in trials] == sorted(int(n) for n in infos)
    for trial in trials:
        info = infos[str(trial.number)]
        p = info['params']
        assert trial.params == {
            'epochs': p['epochs'],
            'nested0': f'lr={p["lr"]}, batch-size={p["batch-size"]}'}
        assert trial.value == info['reward'] == 90 + p['lr'] * p['epochs']
        assert trial.intermediate_values == {
            e: 90 + p['lr'] * e for e in range(1, p['epochs'] + 1)}
        assert trial.user_attrs['job'] == str(trial.number)
        assert trial.user_attrs['command'] == info['command']
        assert 'loss' not in trial.user_attrs  # not a pavi scalar
        assert trial.user_attrs['top1'] == pytest.approx(
            80 + p['epochs'] / p['batch-size'])
    attrs = view.storage.get_study_system_attrs(view.study_id)
    plots = {k.split(':')[2] for k in attrs if 'plot_data' in k}
    assert plots == {'compare-acc', 'compare-top1'}
    assert view.storage.get_all_studies()[0].study_name == 'compare_new'
    assert not view.sync()  # nothing new: nothing rewritten


def _listening_addresses(port):
    """Local addresses with a socket listening on ``port`` (IPv4)."""
    found = []
    with open('/proc/net/tcp') as f:
        for line in f.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hex_port = local.split(':')
            if int(hex_port, 16) == port and state == '0A':
                found.append('.'.join(str(int(addr[i:i + 2], 16))
                                      for i in (6, 4, 2, 0)))
    return found


@pytest.mark.skipif(shutil.which('chromium') is None,
                    reason="no chromium on PATH; .ci/run installs Debian's "
                    'chromium package')
def test_dashboard_page_shows_the_jobs_in_chromium(task_root, tmp_path):
    server = spawn(task_root, 'search-ctl', 'dashboard', '--task', 'cmp',
                   '--port', '0', '--refresh', '0.5')
    try:
        seen, match = '', None
        for line in server.stdout:  # warnings may come first
            seen += line
            match = re.match(r'dashboard of task cmp: (http://127\.0\.0\.1:'
                             r'(\d+)/dashboard/studies/0) ', line)
            if match:
                break
        assert match, seen
        url, port = match.group(1), int(match.group(2))
        assert _listening_addresses(port) == ['127.0.0.1']

        out = hpo(task_root, 'search-ctl', 'show', '--task', 'cmp', check=0)
        assert f'dashboard_url: {url}\n' in out.stdout
        assert f'  dashboard_url : {url}/trials?numbers=1\n' in out.stdout

        infos = _infos(task_root)
        table = dom_text(chromium(f'{url}/smartSelection', tmp_path,
                                '--dump-dom'))
        assert 'compare_new' in table
        for name in ('Param epochs', 'Param nested0', 'UserAttribute job',
                     'UserAttribute top1'):
            assert name in table, table[:3000]
        for info in infos.values():  # one row per job, side by side
            p = info['params']
            label = f'lr={p["lr"]}, batch-size={p["batch-size"]}'
            assert re.search(rf'\b{info["name"]} Complete '
                             rf'{info["reward"]:g} {p["epochs"]} '
                             rf'{re.escape(label)} {info["name"]} finished '
                             rf'{re.escape(info["command"])}', table), table

        shot = tmp_path / 'dashboard.png'
        history = dom_text(chromium(url, tmp_path, '--dump-dom',
                                  f'--screenshot={shot}'))
        for scalar in ('acc', 'top1'):  # every job's curve, one plot each
            assert f'compare_new: {scalar}' in history
        assert all(f'job {n}' in history for n in infos)
        with open(shot, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
        assert shot.stat().st_size > 50_000  # plots drawn, not a blank page
        keep = os.environ.get('GML_TEST_ARTIFACTS')
        if keep:
            os.makedirs(keep, exist_ok=True)
            shutil.copy(shot, os.path.join(keep, 'hpo_dashboard.png'))
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    dash_yaml = task_root / '.search-run/tasks/cmp/dashboard.yaml'
    assert not dash_yaml.exists()
    deadline = time.time() + 5
    while _listening_addresses(port) and time.time() < deadline:
        time.sleep(0.1)
    assert _listening_addresses(port) == []
    out = hpo(task_root, 'search-ctl', 'show', '--task', 'cmp', check=0)
    assert '(not running; start it with: search-ctl dashboard --task cmp)' \
        in out.stdout


def test_dashboard_refuses_a_taken_port(task_root):
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen()
        port = s.getsockname()[1]
        out = hpo(task_root, 'search-ctl', 'dashboard', '--task', 'cmp',
                  '--port', str(port), check=2)
    assert f'--port {port}: cannot listen' in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
