"""tools/slurm_*.sh against the real local Slurm (tests marked `slurm`)."""
import os
import subprocess
import sys

import pytest
import torch

from .helpers import DIGITS_CFG, ROOT, checkpoints

pytestmark = [pytest.mark.slurm, pytest.mark.slow]
TINY = ['train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=128',
        'val_dataloader.dataset.indices=64',
        'default_hooks.logger.interval=1']


def slurm_env(**extra):
    env = dict(os.environ, PYTHON=sys.executable, GPUS='2',
               GPUS_PER_NODE='0', CPUS_PER_TASK='1')
    env.update(extra)
    return env


def run_sh(script, *args, env, timeout=300):
    return subprocess.run(['sh', os.path.join('tools', script), *map(str, args)],
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_two_rank_training_through_srun(tmp_path):
    work_dir = tmp_path / 'wd'
    proc = run_sh('slurm_train.sh', 'debug', 'gml-ci-train', DIGITS_CFG,
                  work_dir, '--cfg-options', *TINY, env=slurm_env())
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'Distributed launcher: slurm' in out
    assert 'Distributed training: True' in out
    # both ranks joined one process group of size 2 (mmengine's env dump)
    assert 'GPU number: 2' in out
    assert checkpoints(work_dir) == ['epoch_1.pth']
    state = torch.load(work_dir / 'epoch_1.pth', map_location='cpu')
    # 128 images / (2 ranks x batch 32) = 2 iterations per epoch
    assert state['meta']['iter'] == 2


def test_work_dir_flag_form(tmp_path):
    work_dir = tmp_path / 'wd'
    proc = run_sh('slurm_train.sh', 'pat_dev', 'gml-ci-flag', DIGITS_CFG,
                  '--work-dir', work_dir, '--cfg-options', *TINY,
                  env=slurm_env(GPUS='1'))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert checkpoints(work_dir) == ['epoch_1.pth']


def test_crashing_rank_takes_job_down(tmp_path):
    work_dir = tmp_path / 'wd'
    proc = run_sh('slurm_train.sh', 'debug', 'gml-ci-crash', DIGITS_CFG,
                  work_dir, '--cfg-options', *TINY,
                  'train_cfg.max_epochs=50',
                  "custom_imports.imports=['tests.data.crash_hook']",
                  "custom_hooks=[dict(type='CrashRankHook',rank=1)]",
                  env=slurm_env(), timeout=240)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    # it is the crash that ended it: training ran, rank 1 exited with 7,
    # and srun took the other rank down instead of letting it hang
    assert 'Epoch(train)' in out or 'Start running' in out, out[-3000:]
    assert 'exit code 7' in out, out[-3000:]
    assert checkpoints(work_dir) == []  # died in the first epoch
