"""search-run from a real project root: what a job gets, its environment,
rewards from its own run only, the seed's yaml, statuses, budgets, best.yaml.

Jobs are trivial shell or Python one-liners: each test takes seconds.
"""
import json
import os
import re
import subprocess
import sys
import time

import pytest
import yaml

from .helpers import env, hpo, job_infos, tree_digest, write_yaml

pytestmark = pytest.mark.slow

# Reports acc=97 at step 3 and writes its own mmengine-style scalars file.
OWN_RUN = """\
import json, os
from gml.hpo import report
report(acc=97.0, step=3)
os.makedirs('work_dirs/new/20260101_000000/vis_data')
with open('work_dirs/new/20260101_000000/vis_data/scalars.json', 'w') as f:
    f.write(json.dumps({'top1': 88.0, 'step': 2}) + '\\n')
with open('data/sample.txt') as f:
    print('data:', f.read().strip())
"""
STALE = json.dumps({'acc': 45.4, 'top1': 45.4, 'step': 16}) + '\n'


def _git(cwd, *args):
    subprocess.run(['git', *args], cwd=cwd, check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME='t',
                            GIT_AUTHOR_EMAIL='t@t', GIT_COMMITTER_NAME='t',
                            GIT_COMMITTER_EMAIL='t@t'))


def _old(path):
    """Backdate ``path`` as a file left by an earlier run."""
    os.utime(path, (time.time() - 3600, time.time() - 3600))


def git_project(root):
    """A git project holding a large .venv/ (not git-ignored), a stale
    work_dirs/, a stale tracked scalars.json and a git-ignored data/."""
    (root / 'job.py').write_text(OWN_RUN)
    (root / '.gitignore').write_text('/data/\n')
    venv = root / '.venv'
    (venv / 'bin').mkdir(parents=True)
    (venv / 'pyvenv.cfg').write_text('home = /usr/bin\n')
    with open(venv / 'lib.so', 'wb') as f:  # 2 GiB, sparse: no disk used
        f.truncate(2 << 30)
    for stale in (root / 'work_dirs/old/20200101_000000/vis_data',
                  root / 'logs/vis_data'):
        stale.mkdir(parents=True)
        (stale / 'scalars.json').write_text(STALE)
        _old(stale / 'scalars.json')
    (root / 'data').mkdir()
    (root / 'data' / 'sample.txt').write_text('digits\n')
    _git(root, 'init', '-q')
    _git(root, 'add', 'job.py', '.gitignore', 'logs')
    _git(root, 'commit', '-q', '-m', 'project')
    (root / 'notes.txt').write_text('untracked, not ignored\n')
    hpo(root, 'search-init', check=0)
    return root


def test_git_project_jobs_hold_no_venv_no_stale_scalars(tmp_path):
    root = git_project(tmp_path)
    write_yaml(root / 's.yaml', {
        'task': {'template': 'python job.py --x {x}', 'search_args': [
            {'type': 'Categorical', 'name': 'x', 'value': [1, 2]}]},
        'search': {'reward_attribute': 'acc', 'concurrency': 2}})
    out = hpo(root, 'search-run', 's.yaml', check=0)
    assert re.search(r'copying 5 files \(.*git-tracked and untracked-not-'
                     r'ignored files\) into each job as (hard links|reflinks)',
                     out.stdout), out.stdout
    assert 'linking into each job: data/' in out.stdout
    assert '.venv (virtual environment)' in out.stdout
    assert 'work_dirs (training outputs)' in out.stdout
    task = root / '.search-run/tasks/default'
    for name, info in job_infos(root).items():
        job = task / 'jobs/all' / name
        assert info['status'] == 'finished', (job / 'log').read_text()
        assert not (job / '.venv').exists()
        assert not (job / 'work_dirs/old').exists()
        assert (job / 'notes.txt').is_file()  # untracked, not ignored
        assert (job / 'logs/vis_data/scalars.json').is_file()  # tracked
        assert os.path.islink(job / 'data')  # ignored: linked, not copied
        assert 'data: digits' in (job / 'log').read_text()
        # The reward is the job's own 97.0 (step 3), not the stale 45.4
        # (step 16) of the copied logs/ file; mmengine's fresh file counts.
        assert info['reward'] == 97.0
        from gml.hpo.rewards import read_history
        history = read_history(str(job), info['created'])
        assert history == {'acc': {3: 97.0}, 'top1': {2: 88.0}}
    copy_mode = yaml.safe_load((task / 'task.yaml').read_text())['copy_mode']
    if copy_mode == 'hardlink':  # one inode for the snapshot and all jobs
        inodes = {os.stat(p).st_ino for p in (
            task / 'tmp/project/job.py', task / 'jobs/all/0/job.py',
            task / 'jobs/all/1/job.py')}
        assert len(inodes) == 1


def test_copy_size_limit_refuses_before_writing(tmp_path):
    root = tmp_path
    (root / 'job.sh').write_text('true\n')
    (root / 'big').mkdir()
    with open(root / 'big' / 'blob.bin', 'wb') as f:
        f.write(b'\0' * (3 << 20))
    hpo(root, 'search-init', check=0)
    write_yaml(root / 's.yaml', {'task': {
        'template': 'bash job.sh {x}', 'search_args': [
            {'type': 'Categorical', 'name': 'x', 'value': [1]}]}})
    before = tree_digest(root / '.search-run')
    out = hpo(root, 'search-run', '--max-copy-size', '1M', 's.yaml',
              check=2)
    assert len(out.stderr.strip().splitlines()) == 1
    assert re.search(r'would be 3\.0 MiB in 3 files, over --max-copy-size '
                     r'1\.0 MiB \(largest: big 3\.0 MiB', out.stderr)
    assert tree_digest(root / '.search-run') == before
    out = hpo(root, 'search-run', '--max-copy-size', '1M', '--link', 'big',
              's.yaml', check=0)
    assert 'linking into each job: big/' in out.stdout
    job = root / '.search-run/tasks/default/jobs/all/0'
    assert os.path.realpath(job / 'big') == str(root / 'big')


def test_venv_search_run_without_activation_runs_gml_jobs(tmp_path):
    """The console script called by path, with no venv on PATH: `python` in
    the template is search-run's own interpreter, which has gml."""
    hpo(tmp_path, 'search-init', check=0)
    write_yaml(tmp_path / 's.yaml', {'task': {
        'template': 'python -c "import sys, gml; from gml.hpo import report;'
                    ' report(acc=float({x})); print(sys.prefix)"',
        'search_args': [{'type': 'Categorical', 'name': 'x',
                         'value': [1, 2]}]}})
    script = os.path.join(os.path.dirname(sys.executable), 'search-run')
    cmd = [script] if os.path.exists(script) else [
        sys.executable, '-m', 'gml.hpo.cli', 'search-run']
    bare = {k: v for k, v in env().items() if k not in ('VIRTUAL_ENV', )}
    bare['PATH'] = '/usr/bin:/bin'
    out = subprocess.run(cmd + ['s.yaml'], cwd=tmp_path, env=bare,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    for info in job_infos(tmp_path).values():
        log = open(info['log_path']).read()
        assert info['status'] == 'finished', log
        assert os.path.realpath(log.split()[-1]) == os.path.realpath(
            sys.prefix)  # search-run's own environment
        assert info['reward'] == float(info['params']['x'])


def test_show_scalar_rank_defaults_to_the_only_scalar(tmp_path):
    hpo(tmp_path, 'search-init', check=0)
    write_yaml(tmp_path / 's.yaml', {'task': {
        'template': 'python -c "from gml.hpo import report; '
                    'report(acc={x}, step=1)"',
        'search_args': [{'type': 'Categorical', 'name': 'x',
                         'value': [0.5, 0.9, 0.7]}]}})
    out = hpo(tmp_path, 'search-run', 's.yaml', check=0)
    assert 'reward attribute: acc (the only scalar reported)' in out.stdout
    out = hpo(tmp_path, 'search-ctl', 'show-scalar', '-rt', '+2', check=0)
    assert re.findall(r'\n  acc\s+: ([\d.]+)', out.stdout) == ['0.9', '0.7']
    assert yaml.safe_load((tmp_path / '.search-run/tasks/default/best.yaml')
                          .read_text())['reward'] == 0.9

    write_yaml(tmp_path / 't.yaml', {'task': {
        'template': 'python -c "from gml.hpo import report; '
                    'report(acc={x}, loss=1 - {x}, step=1)"',
        'search_args': [{'type': 'Categorical', 'name': 'x',
                         'value': [0.5]}]}})
    hpo(tmp_path, 'search-run', '--task', 'two', 't.yaml', check=0)
    out = hpo(tmp_path, 'search-ctl', 'show-scalar', '--task', 'two', '-rt',
              '+1', check=2)
    assert 'reported several scalars: acc, loss' in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


SEED_YAML = """\
# Required
task:
  template: "python pavi_run.py --lr {lr} --batch-size {batch-size} \\
            --epochs {epochs} --gamma {gamma}"
  # Required
  search_args:
      - type: Categorical
        name: epochs
        value: [3, 5]
      - type: Categorical
        name: gamma
        value: [0.7, 0.8]
      - type: Nested
        value: [
                  {lr: 0.5, batch-size: 512},
                  {lr: 1, batch-size: 1024}
              ]
  pre_callback: "echo \\"__benchmark_total_time(h): [0.5, 'xxx']\\""
  after_callback: "echo 'Test Acc: 0.95'; echo exit=$GML_HPO_EXIT_CODE"
pavi:
    compare:
        name: compare_new
        # id: xxxxxxxxxxxxx
    # reward_attribute would add to scalars by default
    scalars: ['acc', 'top1']
"""

PAVI_RUN = """\
import argparse
from gml.hpo import report
p = argparse.ArgumentParser()
for k in ('--lr', '--batch-size', '--epochs', '--gamma'):
    p.add_argument(k, type=float)
a = p.parse_args()
for e in range(1, int(a.epochs) + 1):
    report(acc=90 + a.lr * e, top1=80 + a.gamma * e, loss=1 / e, step=e)
"""


def test_seed_yaml_with_pavi_section_and_callbacks(tmp_path):
    (tmp_path / 'pavi_run.py').write_text(PAVI_RUN)
    (tmp_path / 'search.yaml').write_text(SEED_YAML)
    hpo(tmp_path, 'search-init', check=0)
    out = hpo(tmp_path, 'search-run', 'search.yaml', check=0)
    assert 'task default finished: 8 finished' in out.stdout
    task = tmp_path / '.search-run/tasks/default'
    info = yaml.safe_load((task / 'task.yaml').read_text())
    assert info['study_name'] == 'compare_new'
    out = hpo(tmp_path, 'search-ctl', 'show', '--task', 'default', check=0)
    # Where the seed printed pavi_compare_url.
    assert re.search(r'config file: .*\ndashboard_url: http://127\.0\.0\.1:'
                     r'8080/dashboard/studies/0 \(not running; start it '
                     r'with: search-ctl dashboard --task default\)',
                     out.stdout)
    assert out.stdout.count('callback_path ') == 8
    # Two pavi scalars and no reward_attribute: rank by one of them.
    out = hpo(tmp_path, 'search-ctl', 'show-scalar', '--attr', 'top1', '-rt',
              '+1', check=0)
    assert "scalar_info   : {'acc': {1: " in out.stdout
    assert "'loss'" not in out.stdout  # only the pavi scalars
    assert re.search(r"  pre_callback_result:\n    __benchmark_total_time"
                     r"\(h\): \[0\.5, 'xxx'\]\n  after_callback_result:\n"
                     r"    Test Acc      : 0\.95\n    exit          : 0\n",
                     out.stdout), out.stdout
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    acc = EventAccumulator(str(task / 'tensorboard' / '0'))
    acc.Reload()
    assert sorted(acc.Tags()['scalars']) == ['acc', 'top1']


def test_failed_pre_callback_skips_the_command(tmp_path):
    hpo(tmp_path, 'search-init', check=0)
    write_yaml(tmp_path / 's.yaml', {'task': {
        'template': 'touch ran-{x}', 'pre_callback': 'echo t: 1; exit {x}',
        'search_args': [{'type': 'Categorical', 'name': 'x',
                         'value': [0, 5]}]}})
    hpo(tmp_path, 'search-run', 's.yaml', check=0)
    for name, info in job_infos(tmp_path).items():
        job = tmp_path / '.search-run/tasks/default/jobs/all' / name
        x = info['params']['x']
        assert info['pre_callback_result'] == {'t': 1}
        assert (job / f'ran-{x}').exists() == (x == 0)
        assert info['status'] == ('finished' if x == 0 else 'error')
        assert info['exit_code'] == x


def test_all_failed_task_ends_error_partial_failures_counted(tmp_path):
    hpo(tmp_path, 'search-init', check=0)
    write_yaml(tmp_path / 'bad.yaml', {'task': {
        'template': 'exit {code}', 'search_args': [
            {'type': 'Categorical', 'name': 'code', 'value': [3, 4]}]}})
    out = hpo(tmp_path, 'search-run', '--task', 'bad', 'bad.yaml', check=1)
    assert 'task bad error: 2 error (2 of 2 jobs failed)' in out.stdout
    write_yaml(tmp_path / 'some.yaml', {'task': {
        'template': 'exit {code} # {i}', 'search_args': [
            {'type': 'Categorical', 'name': 'code', 'value': [0, 3]},
            {'type': 'Categorical', 'name': 'i', 'value': [1, 2]}]}})
    out = hpo(tmp_path, 'search-run', '--task', 'some', 'some.yaml', check=0)
    assert 'task some finished: 2 error, 2 finished (2 of 4 jobs failed)' \
        in out.stdout
    out = hpo(tmp_path, 'search-ctl', 'show', check=0)
    assert re.search(r'bad\n\s+status: error \(2 of 2 jobs failed\)\n',
                     out.stdout)
    assert re.search(r'some\n\s+status: finished \(2 of 4 jobs failed\)\n',
                     out.stdout)
    summary = yaml.safe_load((tmp_path / '.search-run/summary.yaml')
                             .read_text())
    assert summary['tasks']['bad']['status'] == 'error'


def test_max_time_stops_within_one_poll_interval(tmp_path):
    hpo(tmp_path, 'search-init', check=0)
    write_yaml(tmp_path / 's.yaml', {
        'task': {'template': 'sleep {s}', 'search_args': [
            {'type': 'Int', 'name': 's', 'low': 30, 'high': 40}]},
        'search': {'concurrency': 2, 'max_time': '2s',
                   'poll_interval': 0.5}})
    out = hpo(tmp_path, 'search-run', 's.yaml', check=0)
    assert 'task default finished: 2 stopped (max_time reached)' \
        in out.stdout
    info = yaml.safe_load((tmp_path / '.search-run/tasks/default/task.yaml')
                          .read_text())
    assert info['ended_by'] == 'max_time'
    # The controller's own clock: from its start to the end of the stop.
    assert 2.0 <= info['time_used'] <= 2.0 + 0.5, info['time_used']
    for job in job_infos(tmp_path).values():
        assert job['status'] == 'stopped'
        assert job['stop_reason'] == 'max_time'


WIDTH_JOB = ('python -c "from gml.hpo import report; '
             'report(params={hidden} * 100, acc={hidden}, step=1)"')


def test_best_yaml_feasible_and_infeasible(tmp_path):
    hpo(tmp_path, 'search-init', check=0)
    space = [{'type': 'Categorical', 'name': 'hidden', 'value': [8, 16, 32]}]
    for name, bound in (('ok', 2000), ('none', 500)):
        write_yaml(tmp_path / f'{name}.yaml', {
            'task': {'template': WIDTH_JOB, 'search_args': space},
            'search': {'reward_attribute': 'acc', 'constraints': [
                {'scalar': 'params', 'max': bound}]}})
        out = hpo(tmp_path, 'search-run', '--task', name, f'{name}.yaml',
                  check=0)
        best = yaml.safe_load((tmp_path / f'.search-run/tasks/{name}/'
                               'best.yaml').read_text())
        infos = job_infos(tmp_path, name)
        if name == 'ok':
            assert best['params'] == {'hidden': 16} and best['feasible']
            assert best['constraints'] == [
                {'scalar': 'params', 'max': 2000, 'value': 1600.0}]
        else:
            assert best['params'] == {'hidden': 32}
            assert best['feasible'] is False and 'note' in best
            assert not any(i['feasible'] for i in infos.values())
            assert re.search(r'no job satisfied the constraints; best job '
                             r'overall: \d \(acc=32\.0\)', out.stdout)
        assert best['reward'] == best['params']['hidden']
        assert best['command'] == infos[best['job']]['command']
        assert best['run_path'] == infos[best['job']]['run_path']


def test_journal_flush_keeps_records_and_study_consistent(tmp_path):
    """Every job record names a trial that is in the journal on disk."""
    hpo(tmp_path, 'search-init', check=0)
    write_yaml(tmp_path / 's.yaml', {'task': {
        'template': 'true {i}', 'search_args': [
            {'type': 'Int', 'name': 'i', 'low': 0, 'high': 19}]},
        'search': {'concurrency': 2}})
    hpo(tmp_path, 'search-run', 's.yaml', check=0)
    logs = [json.loads(line) for line in open(
        tmp_path / '.search-run/tasks/default/optuna.log')]
    created = sum(log['op_code'] == 4 for log in logs)  # CREATE_TRIAL
    told = sum(log['op_code'] == 6 for log in logs)  # SET_TRIAL_STATE
    assert created == 20 and told >= 20
    assert sorted(i['trial'] for i in job_infos(tmp_path).values()) == \
        list(range(20))
