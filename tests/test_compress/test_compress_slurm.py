"""tools/slurm_compress.sh against the local Slurm: every stage through
the Slurm scripts (or srun for one-process tools), one job per stage."""
import json
import os

import pytest

from ..test_tools.test_slurm_launch import run_sh, slurm_env

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


def test_tiny_pipeline_through_slurm(tmp_path):
    work_dir = tmp_path / 'wd'
    proc = run_sh('slurm_compress.sh', 'debug', 'gml-ci-compress',
                  'tests/data/compress/tiny_pipeline.py', work_dir,
                  env=slurm_env(GPUS='1', OMP_NUM_THREADS='1'),
                  timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    commands = {s: (work_dir / s / 'command.sh').read_text()
                for s in ('float', 'qat', 'int8')}
    # training and testing through the Slurm scripts, one job per stage
    assert 'slurm_train.sh debug gml-ci-compress-float ' in commands['float']
    assert 'slurm_test.sh debug gml-ci-compress-float ' in commands['float']
    assert 'slurm_train.sh debug gml-ci-compress-qat ' in commands['qat']
    # the exporter runs in one process
    assert commands['int8'].startswith(
        'srun -p debug --job-name=gml-ci-compress-int8 -n1 ')
    log = (work_dir / 'float' / 'stage.log').read_text()
    assert '+ srun -p debug --job-name=gml-ci-compress-float' in log
    summary = json.load(open(work_dir / 'summary.json'))
    assert os.path.isfile(summary['deploy']['onnx'])
    assert summary['deploy']['top1'] == summary['stages'][-1]['top1']
