"""tools/search.py with the digits Pareto config (subprocesses)."""
import csv
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

CONFIG = 'configs/nas/pareto/spos_shufflenetv2_pareto_search_digits.py'
SMALL = ['train_cfg.max_epochs=2', 'train_cfg.num_candidates=3',
         'train_cfg.calibrate_batches=1', 'train_cfg.predictor.pool_factor=2',
         'train_cfg.predictor.min_records=3',
         'train_cfg.predictor.models.score.n_estimators=10',
         'train_cfg.latency.repeats=2', 'train_cfg.latency.rounds=2',
         'train_cfg.latency.warmup=1', 'train_cfg.latency.check_subnets=2',
         'train_cfg.latency.calibrate_subnets=1',
         'val_dataloader.dataset.indices=32']


@pytest.fixture(scope='module')
def supernet_ckpt(tmp_path_factory, repo_root):
    from gml.registry import MODELS
    from gml.config.loading import load_config
    cfg = load_config(osp.join(repo_root, CONFIG))
    torch.manual_seed(0)
    spos = MODELS.build(dict(cfg.model,
                             data_preprocessor=cfg.data_preprocessor))
    path = str(tmp_path_factory.mktemp('ckpt') / 'supernet.pth')
    torch.save({'state_dict': spos.state_dict(), 'meta': {}}, path)
    return path


def search(repo_root, ckpt, work_dir, *options):
    return subprocess.run(
        [sys.executable, osp.join(repo_root, 'tools/search.py'),
         osp.join(repo_root, CONFIG), ckpt, '--work-dir', str(work_dir),
         '--cfg-options', *SMALL, *options], cwd=repo_root,
        capture_output=True, text=True, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))


@pytest.mark.slow
def test_digits_pareto_search_runs_from_the_config(repo_root, supernet_ckpt,
                                                   tmp_path):
    r = search(repo_root, supernet_ckpt, tmp_path / 's')
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    out = r.stdout + r.stderr
    assert 'Measured the latency table [onnxruntime] (cpu' in out
    assert "Predictor 'score' on generation 1's 3 scored" in out
    with open(tmp_path / 's' / 'candidates.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6
    assert list(rows[0])[:9] == ['id', 'generation', 'origin', 'score',
                                 'flops_M', 'params_M', 'latency_ms',
                                 'predicted_score', 'backbone.layers.0.0']
    assert (tmp_path / 's' / 'latency_lut.json').is_file()
    front = list((tmp_path / 's' / 'pareto_front').glob('*.yaml'))
    assert front and (tmp_path / 's' / 'plots' / 'pareto_gen_001.png'
                      ).is_file()


def test_bad_objective_is_one_line_exit_2(repo_root, supernet_ckpt,
                                          tmp_path):
    r = search(repo_root, supernet_ckpt, tmp_path / 'bad',
               "train_cfg.objectives={'score':'max','speed':'min'}")
    assert r.returncode == 2, r.stderr[-2000:]
    assert r.stderr.strip().splitlines()[-1].startswith(
        'search.py: error: train_cfg.objectives:')
    assert 'Traceback' not in r.stderr


@pytest.mark.slow
@pytest.mark.slurm
def test_slurm_two_ranks_share_one_latency_table(repo_root, supernet_ckpt,
                                                 tmp_path):
    env = dict(os.environ, GPUS='2', GPUS_PER_NODE='0', CPUS_PER_TASK='1',
               PYTHON=sys.executable, OMP_NUM_THREADS='1')
    r = subprocess.run(
        ['sh', 'tools/slurm_search.sh', 'debug', 'gml_pareto_test', CONFIG,
         supernet_ckpt, '--work-dir', str(tmp_path / 'slurm'),
         '--cfg-options', *SMALL], cwd=repo_root, capture_output=True,
        text=True, timeout=600, env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    # rank 0 measured the table and broadcast it (rank 1 would fail
    # without it, or hang if rank 0 failed alone); one file, one log line
    assert out.count('Measured the latency table') == 1
    assert (tmp_path / 'slurm' / 'latency_lut.json').is_file()
    assert 'GPU number: 2' in out
    with open(tmp_path / 'slurm' / 'candidates.csv') as f:
        assert len(list(csv.DictReader(f))) == 6
