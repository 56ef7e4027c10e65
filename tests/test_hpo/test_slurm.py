"""The same searches through the real local Slurm (skipped without one)."""
import re
import subprocess
import time

import pytest
import yaml

from gml.hpo.outcome import display

from .helpers import (DEMO, demo_project, hpo, job_infos, spawn,
                      write_script, write_yaml)
from .test_local_run import JOB, _statuses, _wait_for

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


def test_documented_srun_template_runs_as_is(tmp_path):
    """demo/hpo/search_srun.yaml: the template's own srun, unchanged."""
    root = demo_project(tmp_path)
    with open(f'{DEMO}/search_srun.yaml') as f:
        cfg = yaml.safe_load(f)
    assert cfg['task']['template'].startswith(
        'srun -p pat_dev -n1 --gres gpu:1 python train_digits.py --lr {lr} '
        '--batch-size {batch-size} --epochs {epochs} --gamma {gamma}')
    write_yaml(root / 'search_srun.yaml', cfg)
    out = hpo(root, 'search-run', '--task', 'srun', 'search_srun.yaml',
              check=0)
    assert 'task srun finished: 8 finished' in out.stdout
    infos = job_infos(root, 'srun')
    for info in infos.values():
        assert info['command'].startswith('srun -p pat_dev -n1 --gres gpu:1 ')
        assert info['reward'] is not None
        log = open(info['log_path']).read()
        assert f'epoch {info["params"]["epochs"]}: ' in log
    out = hpo(root, 'search-ctl', 'show-scalar', '--task', 'srun', '-rt',
              '+3', check=0)
    rewards = [float(v) for v in re.findall(r'\n  acc\s+: ([\d.]+)',
                                            out.stdout)]
    # show-scalar prints rewards rounded for people (gml.hpo.outcome.display)
    assert rewards == [float(display(r)) for r in sorted(
        (i['reward'] for i in infos.values()), reverse=True)[:3]]


def _queued_ids():
    out = subprocess.run(['squeue', '-h', '-o', '%i'], capture_output=True,
                         text=True, check=True)
    return set(out.stdout.split())


def test_sbatch_launcher_runs_and_stop_cancels(tmp_path):
    write_script(tmp_path / 'job.py', JOB)
    hpo(tmp_path, 'search-init', check=0)
    write_yaml(tmp_path / 'fast.yaml', {
        'task': {'template': 'python job.py --x {x} --code {code}',
                 'search_args': [
                     {'type': 'Categorical', 'name': 'x',
                      'value': ['a', 'bbb']},
                     {'type': 'Categorical', 'name': 'code',
                      'value': [0, 5]}]},
        'search': {'concurrency': 4, 'reward_attribute': 'acc'},
        'launcher': {'type': 'sbatch', 'sbatch_args': ['-p', 'debug']}})
    hpo(tmp_path, 'search-run', '--task', 'batch', 'fast.yaml', check=0)
    infos = job_infos(tmp_path, 'batch').values()
    assert all(i['slurm_job_id'].isdigit() for i in infos)
    for info in infos:
        want = ('finished', 0) if info['params']['code'] == 0 else (
            'error', 5)
        assert (info['status'], info['exit_code']) == want
        if info['params']['code'] == 0:
            assert info['reward'] == len(info['params']['x']) + 2

    write_yaml(tmp_path / 'slow.yaml', {
        'task': {'template': 'python job.py --epochs 1 --sleep {s}',
                 'search_args': [{'type': 'Categorical', 'name': 's',
                                  'value': [60, 61]}]},
        'search': {'concurrency': 2},
        'launcher': {'type': 'sbatch', 'sbatch_args': ['-p', 'debug']}})
    ctl = spawn(tmp_path, 'search-run', '--task', 'slow', 'slow.yaml')
    _wait_for(lambda: _statuses(tmp_path, 'slow').count('running') == 2,
              what='2 submitted jobs')
    ids = {i['slurm_job_id'] for i in job_infos(tmp_path, 'slow').values()}
    _wait_for(lambda: ids <= _queued_ids(), what='jobs in squeue')
    hpo(tmp_path, 'search-ctl', 'stop', '--task', 'slow', check=0)
    assert ctl.wait(timeout=60) == 0
    deadline = time.time() + 30
    while ids & _queued_ids() and time.time() < deadline:
        time.sleep(0.2)
    assert not ids & _queued_ids()  # scancel'ed
    assert _statuses(tmp_path, 'slow') == ['stopped', 'stopped']


def test_sbatch_refusal_is_a_job_error_and_the_task_goes_on(tmp_path):
    write_script(tmp_path / 'job.py', JOB)
    hpo(tmp_path, 'search-init', check=0)
    write_yaml(tmp_path / 'bad.yaml', {
        'task': {'template': 'python job.py --x {x}', 'search_args': [
            {'type': 'Categorical', 'name': 'x', 'value': ['a', 'b']}]},
        'launcher': {'type': 'sbatch',
                     'sbatch_args': ['-p', 'no_such_partition']}})
    out = hpo(tmp_path, 'search-run', 'bad.yaml', check=1)
    assert 'task default error: 2 error (2 of 2 jobs failed)' in out.stdout
    for info in job_infos(tmp_path).values():
        assert info['status'] == 'error'
        assert 'sbatch failed' in info['error']
        assert 'no_such_partition' in info['error'] or 'partition' in \
            info['error'].lower()
