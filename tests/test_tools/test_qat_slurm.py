"""QAT through tools/slurm_train.sh: two CPU ranks against the real Slurm."""
import os

import pytest
import torch

from gml.models.algorithms.quantization import is_quantized_state

from ..test_models.test_quantizers.tiny_qat import TINY_CFG, float_checkpoint
from .helpers import checkpoints
from .test_slurm_launch import run_sh, slurm_env

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


def test_qat_on_two_slurm_ranks(tmp_path):
    work_dir = tmp_path / 'wd'
    proc = run_sh('slurm_train.sh', 'debug', 'gml-ci-qat', TINY_CFG,
                  work_dir, '--cfg-options',
                  f'algorithm.float_checkpoint={float_checkpoint()}',
                  'train_cfg.max_epochs=1', 'default_hooks.logger.interval=5',
                  env=slurm_env(OMP_NUM_THREADS='1'), timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'Distributed training: True' in out
    assert 'GPU number: 2' in out  # one process group of two ranks
    assert checkpoints(work_dir) == ['epoch_1.pth']
    state = torch.load(work_dir / 'epoch_1.pth', map_location='cpu')
    # 1078 training images / (2 ranks x batch 32) = 17 iterations
    assert state['meta']['iter'] == 17
    assert is_quantized_state(state['state_dict'])
    # the fake-quant model validated at a trained model's accuracy
    assert 'accuracy/top1' in out
    top1 = [float(line.split('accuracy/top1:')[1].split()[0])
            for line in out.splitlines() if 'Epoch(val)' in line
            and 'accuracy/top1:' in line]
    assert top1 and top1[-1] >= 90, top1
    assert os.path.isfile(work_dir / 'last_checkpoint')
