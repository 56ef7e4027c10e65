"""search-run on the local backend, end to end (slow: real subprocesses)."""
import json
import os
import re
import signal
import time

import pytest
import yaml

from .helpers import (DOC_YAML, demo_project, hpo, job_infos, spawn,
                      write_script, write_yaml)

pytestmark = pytest.mark.slow

# A training stand-in that runs in milliseconds: reports acc per epoch, can
# sleep, fail with a code, and logs each start to a file outside the project.
JOB = """\
import argparse, json, os, sys, time
from gml.hpo import report
p = argparse.ArgumentParser()
p.add_argument('--x', default='')
p.add_argument('--epochs', type=int, default=2)
p.add_argument('--sleep', type=float, default=0)
p.add_argument('--code', type=int, default=0)
p.add_argument('--ledger', default='')
p.add_argument('--fast-if', default='')
a = p.parse_args()
if a.fast_if and os.path.exists(a.fast_if):
    a.sleep = 0
if a.ledger:
    with open(a.ledger, 'a') as f:
        f.write(json.dumps({'argv': sys.argv[1:], 'pid': os.getpid()}) + '\\n')
with open('argv.json', 'w') as f:
    json.dump(sys.argv[1:], f)
for epoch in range(1, a.epochs + 1):
    time.sleep(a.sleep)
    report(acc=float(len(a.x)) + epoch, step=epoch)
    print('epoch', epoch, flush=True)
sys.exit(a.code)
"""


def job_project(tmp_path):
    write_script(tmp_path / 'job.py', JOB)
    hpo(tmp_path, 'search-init', check=0)
    return tmp_path


def test_documented_search_on_the_demo(tmp_path):
    root = demo_project(tmp_path)
    cfg = dict(DOC_YAML, search={'concurrency': 2, 'reward_attribute': 'acc'})
    write_yaml(root / 'search.yaml', cfg)
    out = hpo(root, 'search-run', 'search.yaml', check=0)
    assert 'task default finished: 8 finished' in out.stdout

    task = root / '.search-run' / 'tasks' / 'default'
    for name in ('task.yaml', 'run_config.yaml', 'tmp', 'optuna.log',
                 'best.yaml'):
        assert (task / name).exists(), name
    infos = job_infos(root)
    assert sorted(infos, key=int) == [str(i) for i in range(8)]
    expected = {f'python train_digits.py --lr {lr} --batch-size {bs} '
                f'--epochs {e} --gamma {g}'
                for e in (3, 5) for g in (0.7, 0.8)
                for lr, bs in ((0.5, 64), (1, 128))}
    assert {i['command'] for i in infos.values()} == expected
    for name, info in infos.items():
        job_dir = task / 'jobs' / 'all' / name
        assert info['status'] == 'finished' and info['exit_code'] == 0
        assert (job_dir / 'train_digits.py').is_file()  # own project copy
        log = (job_dir / 'log').read_text()
        assert f'epoch {info["params"]["epochs"]}: ' in log
        p = info['params']
        link = task / 'jobs' / 'tree' / 'epochs' / str(p['epochs']) / \
            'gamma' / str(p['gamma']) / 'lr' / str(p['lr']) / \
            'batch-size' / str(p['batch-size'])
        assert os.path.realpath(link) == os.path.realpath(job_dir)

    summary = yaml.safe_load((root / '.search-run' / 'summary.yaml')
                             .read_text())
    assert summary['tasks']['default']['status'] == 'finished'
    out = hpo(root, 'search-ctl', 'show', check=0)
    assert re.search(r'default\n\s+status: finished\n\s+update_time: ',
                     out.stdout)

    # show-scalar -rt +3: the three best final accuracies, non-ascending.
    finals = {n: i['reward'] for n, i in infos.items()}
    best = sorted(finals, key=lambda n: (-finals[n], int(n)))
    out = hpo(root, 'search-ctl', 'show-scalar', '--task', 'default', '-rt',
              '+3', check=0)
    shown = re.findall(r'#Job Name: (\d+)', out.stdout)
    assert shown == best[:3]
    values = [float(v) for v in re.findall(r'\n  acc\s+: ([\d.]+)',
                                           out.stdout)]
    # Printed rounded for display (job.yaml keeps full precision).
    assert values == sorted(values, reverse=True) == [round(finals[n], 2)
                                                      for n in best[:3]]
    out = hpo(root, 'search-ctl', 'show-scalar', '-rt', '-2', check=0)
    worst = sorted(finals, key=lambda n: (finals[n], int(n)))
    assert re.findall(r'#Job Name: (\d+)', out.stdout) == worst[:2]

    out = hpo(root, 'search-ctl', 'show', '--task', 'default', '--jobs',
              '2,5', check=0)
    assert re.findall(r'#Job Name: (\d+)', out.stdout) == ['2', '5']
    for key in ('status', 'command', 'run_path', 'log_path', 'start_time',
                'end_time'):
        assert out.stdout.count(f'  {key}') == 2, key

    # One TensorBoard run per job holding the reported accuracy.
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    acc = EventAccumulator(str(task / 'tensorboard' / best[0]))
    acc.Reload()
    assert acc.Scalars('acc')[-1].value == pytest.approx(finals[best[0]])
    assert sorted(os.listdir(task / 'tensorboard'), key=int) == sorted(
        infos, key=int)


def test_failing_job_is_recorded_and_the_task_goes_on(tmp_path):
    root = job_project(tmp_path)
    write_yaml(root / 's.yaml', {
        'task': {'template': 'python job.py --code {code} --x {x}',
                 'search_args': [
                     {'type': 'Categorical', 'name': 'code', 'value': [0, 3]},
                     {'type': 'Categorical', 'name': 'x',
                      'value': ['a', 'bb']}]},
        'search': {'concurrency': 2, 'reward_attribute': 'acc'}})
    out = hpo(root, 'search-run', '--task', 'f', 's.yaml', check=0)
    infos = job_infos(root, 'f').values()
    assert len(infos) == 4
    for info in infos:
        if info['params']['code'] == 3:
            assert info['status'] == 'error' and info['exit_code'] == 3
        else:
            assert info['status'] == 'finished' and info['exit_code'] == 0
            assert info['reward'] == len(info['params']['x']) + 2
    assert 'exit code 3' in out.stdout
    assert 'finished: 2 error, 2 finished' in out.stdout


def test_injection_attempts_reach_the_job_as_literal_strings(tmp_path):
    root = job_project(tmp_path)
    values = ['; touch pwned1', '$(touch pwned2)', '`touch pwned3`',
              'it\'s "quoted"', '&& touch pwned4 ||', '$HOME', '*']
    write_yaml(root / 's.yaml', {
        'task': {'template': 'python job.py --x {x}', 'search_args': [
            {'type': 'Categorical', 'name': 'x', 'value': values}]},
        'search': {'concurrency': 2}})
    hpo(root, 'search-run', 's.yaml', check=0)
    seen = []
    for name, info in job_infos(root).items():
        assert info['status'] == 'finished'
        argv_file = root / '.search-run/tasks/default/jobs/all' / name / \
            'argv.json'
        argv = json.loads(argv_file.read_text())
        assert argv[0] == '--x' and len(argv) == 2
        seen.append(argv[1])
    assert sorted(seen) == sorted(values)
    for dirpath, _, files in os.walk(root):
        assert not [f for f in files if f.startswith('pwned')], dirpath


def test_symlinks_link_project_files(tmp_path):
    root = job_project(tmp_path)
    write_yaml(root / 's.yaml', {
        'task': {'template': 'python job.py --x {x}', 'search_args': [
            {'type': 'Categorical', 'name': 'x', 'value': ['a']}]}})
    hpo(root, 'search-run', '--symlinks', 's.yaml', check=0)
    job = root / '.search-run/tasks/default/jobs/all/0'
    assert os.path.islink(job / 'job.py')
    assert os.path.realpath(job / 'job.py') == str(root / 'job.py')
    assert not os.path.islink(job / 'argv.json')  # the job's own output
    assert not (root / '.search-run/tasks/default/tmp/project').exists()


def _wait_for(predicate, timeout=60, what=''):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f'timed out waiting for {what}')


def _statuses(root, task='default'):
    try:
        return [i.get('status') for i in job_infos(root, task).values()]
    except (FileNotFoundError, TypeError, AttributeError):
        return []


def test_sigkill_controller_then_resume_loses_and_repeats_nothing(tmp_path):
    root = job_project(tmp_path)
    ledger = tmp_path.parent / f'{tmp_path.name}-ledger.jsonl'
    write_yaml(root / 's.yaml', {
        'task': {'template': f'python job.py --epochs 3 --sleep 0.4 '
                             f'--ledger {ledger} --x {{x}}',
                 'search_args': [{'type': 'Categorical', 'name': 'x',
                                  'value': ['a', 'bb', 'ccc', 'dddd', 'e5',
                                            'f6']}]},
        'search': {'concurrency': 2, 'reward_attribute': 'acc'}})
    ctl = spawn(root, 'search-run', 's.yaml')
    _wait_for(lambda: _statuses(root).count('finished') >= 2
              and 'running' in _statuses(root), what='2 finished jobs')
    before = {n: i for n, i in job_infos(root).items()
              if i['status'] == 'finished'}
    ctl.send_signal(signal.SIGKILL)
    ctl.wait()
    out = hpo(root, 'search-ctl', 'show', check=0)
    assert 'status: interrupted' in out.stdout

    out = hpo(root, 'search-ctl', 'resume', '--task', 'default', check=0)
    assert 'finished: 6 finished' in out.stdout
    after = job_infos(root)
    assert len(after) == 6
    for name, info in before.items():  # finished jobs kept as they were
        assert after[name] == info
    runs = [json.loads(line) for line in ledger.read_text().splitlines()]
    xs = [r['argv'][r['argv'].index('--x') + 1] for r in runs]
    assert sorted(xs) == ['a', 'bb', 'ccc', 'dddd', 'e5', 'f6']  # once each
    assert {i['reward'] for i in after.values()} == {
        len(x) + 3.0 for x in xs}


def _live_group_members(pgid):
    """Pids in process group ``pgid`` that are not zombies (PID 1 here
    reaps orphans late, so a finished process may linger as a zombie)."""
    live = []
    for entry in os.listdir('/proc'):
        try:
            with open(f'/proc/{entry}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != 'Z':
            live.append(int(entry))
    return live


def test_stop_mid_task_resume_then_delete(tmp_path):
    root = job_project(tmp_path)
    flag = tmp_path.parent / f'{tmp_path.name}-fast'
    write_yaml(root / 's.yaml', {
        'task': {'template': f'python job.py --epochs 1 --fast-if {flag} '
                             '--sleep {s}',
                 'search_args': [{'type': 'Categorical', 'name': 's',
                                  'value': [30, 31, 32]}]},
        'search': {'concurrency': 2}})
    ctl = spawn(root, 'search-run', '--task', 'long', 's.yaml')
    _wait_for(lambda: _statuses(root, 'long').count('running') == 2,
              what='2 running jobs')
    pids = [i['pid'] for i in job_infos(root, 'long').values()]
    t0 = time.time()
    hpo(root, 'search-ctl', 'stop', '--task', 'long', check=0)
    assert ctl.wait(timeout=30) == 0 and time.time() - t0 < 20
    assert 'task long stopped' in ctl.stdout.read()
    assert sorted(_statuses(root, 'long')) == ['stopped', 'stopped']
    for pid in pids:  # the jobs' process groups are gone
        assert _live_group_members(pid) == []
    out = hpo(root, 'search-ctl', 'show', check=0)
    assert re.search(r'long\n\s+status: stopped', out.stdout)

    # Resume: the interrupted configurations run again as new jobs.
    flag.write_text('')
    out = hpo(root, 'search-ctl', 'resume', '--task', 'long', check=0)
    assert 'task long finished: 3 finished, 2 stopped' in out.stdout
    infos = job_infos(root, 'long')
    finished = sorted(i['params']['s'] for i in infos.values()
                      if i['status'] == 'finished')
    assert finished == [30, 31, 32]

    hpo(root, 'search-ctl', 'delete', '--task', 'long', check=0)
    assert not (root / '.search-run/tasks/long').exists()
    out = hpo(root, 'search-ctl', 'show', check=0)
    assert 'long' not in out.stdout
    summary = yaml.safe_load((root / '.search-run/summary.yaml').read_text())
    assert 'long' not in summary['tasks']


def test_kill_between_spawn_and_record_does_not_run_twice(tmp_path):
    """The controller dies right after spawning a job, before recording it:
    resume finds the job's own `started` marker and adopts it."""
    root = job_project(tmp_path)
    ledger = tmp_path.parent / f'{tmp_path.name}-ledger.jsonl'
    write_yaml(root / 's.yaml', {
        'task': {'template': f'python job.py --epochs 1 --sleep 3 '
                             f'--ledger {ledger} --x {{x}}',
                 'search_args': [{'type': 'Categorical', 'name': 'x',
                                  'value': ['a', 'bb']}]},
        'search': {'concurrency': 2, 'reward_attribute': 'acc'}})
    ctl = spawn(root, 'search-run', 's.yaml')
    _wait_for(lambda: _statuses(root).count('running') == 2
              and ledger.exists() and len(ledger.read_text().splitlines())
              == 2, what='2 running jobs')
    ctl.send_signal(signal.SIGKILL)
    ctl.wait()
    # Rewind job 1's record to the moment before its launch was recorded.
    job_yaml = root / '.search-run/tasks/default/jobs/all/1/job.yaml'
    info = yaml.safe_load(job_yaml.read_text())
    for key in ('pid', 'pgid', 'pid_start', 'start_time'):
        info.pop(key)
    info['status'] = 'launching'
    job_yaml.write_text(yaml.safe_dump(info))

    out = hpo(root, 'search-ctl', 'resume', check=0)
    assert 'job 1 adopted (launch recovered)' in out.stdout
    assert 'finished: 2 finished' in out.stdout
    assert len(ledger.read_text().splitlines()) == 2  # nothing ran twice
