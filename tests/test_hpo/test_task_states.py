"""Every search-ctl verb against every task status, and how tasks end.

The terminal tasks are built once (real search-run subprocesses) and copied
per test; a running or interrupted task is started fresh for each test, as
the verbs change it.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from .helpers import env, hpo, spawn, tree_digest, write_script, write_yaml

pytestmark = pytest.mark.slow

# Reports acc and loss at once, then waits (until --flag exists) and ends.
JOB = """\
import argparse, os, sys, time
from gml.hpo import report
p = argparse.ArgumentParser()
p.add_argument('--code', type=int, default=0)
p.add_argument('--sleep', type=float, default=0)
p.add_argument('--flag', default='')
a = p.parse_args()
report(acc=50.0, loss=1.0, step=0)
end = time.time() + a.sleep
while time.time() < end and not (a.flag and os.path.exists(a.flag)):
    time.sleep(0.05)
report(acc=82.77777777777777, loss=0.5, step=1)
print('job says goodbye', flush=True)
sys.exit(a.code)
"""


def _yaml(template, codes, **search):
    return {'task': {'template': template, 'search_args': [
        {'type': 'Categorical', 'name': 'code', 'value': codes}]},
        'search': dict({'reward_attribute': 'acc', 'poll_interval': 0.05},
                       **search)}


def _task_dir(root, task):
    return root / '.search-run' / 'tasks' / task


def _task_info(root, task):
    with open(_task_dir(root, task) / 'task.yaml') as f:
        return yaml.safe_load(f)


def _wait_for(cond, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f'timed out waiting for {what}')


def _reported(root, task):
    """Job 0 of ``task`` has reported (so it is running its sleep)."""
    return (_task_dir(root, task) / 'jobs/all/0/reports.json').exists()


TERMINAL = ('finished', 'partial', 'error', 'no-reward', 'stopped')
LIVE = ('running', 'interrupted')
STATUSES = TERMINAL + LIVE


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """A project holding one task per terminal status (task name = key)."""
    root = tmp_path_factory.mktemp('states')
    write_script(root / 'job.py', JOB)
    hpo(root, 'search-init', check=0)
    flag = root.parent / f'{root.name}-flag'
    runs = {
        'finished': _yaml('python job.py --code {code}', [0]),
        'partial': _yaml('python job.py --code {code}', [0, 3]),
        'error': _yaml('python train_digit.py --code {code}', [0, 3]),
        'no-reward': dict(_yaml('python job.py --code {code}', [0]),
                          search={'reward_attribute': 'accuracy'}),
    }
    for task, cfg in runs.items():
        # Exit codes are the tests' business (below), not the fixture's.
        write_yaml(root / f'{task}.yaml', cfg)
        hpo(root, 'search-run', '--task', task, f'{task}.yaml')
    write_yaml(root / 'stopped.yaml', _yaml(
        f'python job.py --sleep 60 --flag {flag} --code {{code}}', [0]))
    ctl = spawn(root, 'search-run', '--task', 'stopped', 'stopped.yaml')
    _wait_for(lambda: _reported(root, 'stopped'), 'job 0 to report')
    hpo(root, 'search-ctl', 'stop', '--task', 'stopped', check=0)
    assert ctl.wait(timeout=30) == 0
    flag.write_text('')  # a resumed copy's re-queued job ends at once
    return root


@pytest.fixture
def project(built, tmp_path, request):
    """A project with the task ``status`` (copied, or started live)."""
    status = request.param
    root = tmp_path / 'p'
    flag = tmp_path / 'flag'
    procs = []
    if status in TERMINAL:
        shutil.copytree(built, root, symlinks=True)
    else:
        root.mkdir()
        write_script(root / 'job.py', JOB)
        hpo(root, 'search-init', check=0)
        write_yaml(root / 's.yaml', _yaml(
            f'python job.py --sleep 60 --flag {flag} --code {{code}}', [0]))
        ctl = spawn(root, 'search-run', '--task', status, 's.yaml')
        procs.append(ctl)
        _wait_for(lambda: _reported(root, status), 'job 0 to report')
        if status == 'interrupted':  # the controller dies, its job runs on
            ctl.send_signal(signal.SIGKILL)
            ctl.wait(timeout=30)
    yield root, status, flag
    flag.write_text('')  # let any job still waiting end
    if status == 'running' and procs[0].poll() is None:
        hpo(root, 'search-ctl', 'stop', '--task', status)
        procs[0].wait(timeout=30)
    for proc in procs:
        proc.stdout.close()


# What `search-ctl show` says, and each verb's exit code, per status.
SHOWN = {'finished': 'status     : finished\n',
         'partial': 'status     : finished (1 of 2 jobs failed)\n',
         'error': 'status     : error (2 of 2 jobs failed)\n',
         'no-reward': 'status     : error\nerror      : no job reported the '
                      "reward attribute 'accuracy'",
         'stopped': 'status     : stopped\n',
         'running': 'status     : running\n',
         'interrupted': 'status     : interrupted\n'}
RC = {
    'show': dict.fromkeys(STATUSES, 0),
    'show-scalar': dict(dict.fromkeys(STATUSES, 0), **{'error': 2,
                                                       'no-reward': 2}),
    'stop': dict(dict.fromkeys(STATUSES, 2), running=0, interrupted=0),
    'resume': dict(dict.fromkeys(STATUSES, 2), stopped=0, interrupted=0),
    'delete': dict(dict.fromkeys(STATUSES, 0), running=2),
}
# The status a verb that succeeded leaves (None: the task is gone).
AFTER = {'stop': 'stopped', 'resume': 'finished', 'delete': None}


@pytest.mark.parametrize('project', STATUSES, indirect=True)
@pytest.mark.parametrize('verb', sorted(RC))
def test_control_verb_on_every_status(project, verb):
    root, status, flag = project
    task = status
    if verb == 'resume' and status != 'running':
        flag.write_text('')  # adopted or re-queued jobs end at once
    before = tree_digest(root / '.search-run')
    out = hpo(root, 'search-ctl', verb, '--task', task)
    expected = RC[verb][status]
    assert out.returncode == expected, out.stdout + out.stderr
    if expected == 2:
        # One line saying why; the task is left exactly as it was.
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert 'search-ctl: error: ' in out.stderr
        if status in TERMINAL:
            assert tree_digest(root / '.search-run') == before
        else:
            assert _task_info(root, task)['status'] == 'running'
        if verb in ('stop', 'resume'):
            assert f"task {task!r} is " in out.stderr
            assert status == 'running' or f'nothing to {verb}' in out.stderr
        return
    assert out.stderr == ''
    if verb == 'show':
        assert SHOWN[status] in out.stdout
    elif verb == 'show-scalar':
        assert 'rank by    : acc' in out.stdout
        assert '#Job Name: 0' in out.stdout
    elif verb == 'delete':
        assert not _task_dir(root, task).exists()
    else:
        assert _task_info(root, task)['status'] == AFTER[verb]


# (A stopped task resumes: the matrix covers that.)
@pytest.mark.parametrize('verb,task', [
    ('stop', 'finished'), ('stop', 'error'), ('stop', 'stopped'),
    ('resume', 'finished'), ('resume', 'error')])
def test_stop_or_resume_an_ended_task_says_so_and_changes_nothing(
        built, verb, task):
    summary = built / '.search-run' / 'summary.yaml'
    before = (tree_digest(_task_dir(built, task)), summary.read_text())
    out = hpo(built, 'search-ctl', verb, '--task', task, check=2)
    assert out.stderr == (f"search-ctl: error: task {task!r} is {task}; "
                          f'nothing to {verb} (it is left as it is)\n')
    assert out.stdout == ''
    assert (tree_digest(_task_dir(built, task)),
            summary.read_text()) == before


def test_all_jobs_failing_shows_the_first_failure_and_ends_error(built):
    # Built by: search-run of `python train_digit.py` (no such script).
    info = _task_info(built, 'error')
    assert info['status'] == 'error'
    assert "the first, job 0, exited with code 2" in info['error']
    summary = yaml.safe_load((built / '.search-run/summary.yaml')
                             .read_text())
    assert summary['tasks']['error']['status'] == 'error'
    # Run again to see what the user sees.
    out = hpo(built, 'search-run', '--task', 'error2', 'error.yaml', check=1)
    assert 'set search.reward_attribute' not in out.stdout + out.stderr
    assert 'no best.yaml' not in out.stdout + out.stderr
    lines = out.stderr.splitlines()
    assert lines[0].startswith('search-run: error: task error2: all 2 jobs '
                               'failed; the first, job 0, exited with code 2'
                               ' (log: ')
    assert lines[1] == '  last lines of its log:'
    assert "can't open file" in lines[-1] and 'train_digit.py' in lines[-1]


def test_unreported_reward_attribute_names_the_reported_scalars(built):
    info = _task_info(built, 'no-reward')
    assert info['status'] == 'error'
    reason = ("no job reported the reward attribute 'accuracy'; the jobs "
              "reported: acc, loss (closest: 'acc') "
              '(search.reward_attribute)')
    assert info['error'] == reason
    out = hpo(built, 'search-run', '--task', 'nr2', 'no-reward.yaml',
              check=1)
    assert f'search-run: error: task nr2: {reason}\n' in out.stderr
    assert 'task nr2 error: 1 finished' in out.stdout
    assert not (_task_dir(built, 'nr2') / 'best.yaml').exists()
    out = hpo(built, 'search-ctl', 'show', check=0)
    assert f'no-reward\n        status: error\n        error: {reason}' \
        in out.stdout


def test_show_scalar_of_an_unknown_scalar_lists_the_known_ones(built):
    out = hpo(built, 'search-ctl', 'show-scalar', '--task', 'finished',
              '-rt', '+3', '--attr', 'accc', check=2)
    assert out.stderr == ("search-ctl: error: --attr: no job reported the "
                          "scalar 'accc'; the jobs reported: acc, loss "
                          "(closest: 'acc')\n")
    assert out.stdout == ''
    out = hpo(built, 'search-ctl', 'show-scalar', '--task', 'finished',
              '--attr', 'los', check=2)
    assert "the jobs reported: loss, acc (closest: 'loss')" in out.stderr
    out = hpo(built, 'search-ctl', 'show-scalar', '--task', 'finished',
              '--attr', 'loss', check=0)
    assert '  loss          : 0.5\n' in out.stdout


def test_rewards_print_rounded_and_files_keep_full_precision(built):
    out = hpo(built, 'search-run', '--task', 'shown', 'finished.yaml',
              check=0)
    assert '[shown] job 0 finished acc=82.78\n' in out.stdout
    assert '[shown] best job: 0 (acc=82.78) ->' in out.stdout
    assert '82.777' not in out.stdout
    best = yaml.safe_load((_task_dir(built, 'shown') / 'best.yaml')
                          .read_text())
    assert best['reward'] == 82.77777777777777
    out = hpo(built, 'search-ctl', 'show', '--task', 'shown', check=0)
    assert '  reward        : 82.78\n' in out.stdout
    out = hpo(built, 'search-ctl', 'show-scalar', '--task', 'shown',
              check=0)
    assert '  acc           : 82.78\n' in out.stdout


def test_closed_pipe_ends_quietly(built):
    """`search-ctl show --task finished | head -5`: the reader is gone."""
    read, write = os.pipe()
    os.close(read)  # every write now fails with EPIPE
    try:
        out = subprocess.run(
            [sys.executable, '-m', 'gml.hpo.cli', 'search-ctl', 'show',
             '--task', 'finished'], cwd=built, env=env(), stdout=write,
            stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)
    assert out.stderr == ''  # no traceback, no "Exception ignored"
    assert out.returncode == 141  # 128 + SIGPIPE, as a shell reports it


@pytest.mark.parametrize('project', STATUSES, indirect=True)
def test_dashboard_view_of_every_status(project):
    """`search-ctl dashboard` serves this view (the server itself is tested
    in test_dashboard.py): every status gives one trial per job."""
    from gml.hpo.config import load_search_config
    from gml.hpo.dashboard import TaskView
    from gml.hpo.store import SearchRoot
    root, status, _ = project
    task = SearchRoot(str(root)).existing_task(status)
    view = TaskView(task, load_search_config(task.run_config))
    view.sync()
    trials = view.storage.get_all_trials(view.study_id)
    assert sorted(t.number for t in trials) == sorted(
        int(n) for n in task.job_names())
