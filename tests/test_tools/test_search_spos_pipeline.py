"""The main job end to end: demo/spos/run_spos_pipeline.py drives
tools/train.py -> test.py -> search.py (evolution, random) -> train.py
(subnet, --cfg-options algorithm.mutable_cfg=...) -> test.py, shrunk to
two epochs/generations on a slice of the embedded digits."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import yaml

SHRINK = ['train_cfg.max_epochs=2', 'train_dataloader.dataset.indices=64',
          'val_dataloader.dataset.indices=64',
          'test_dataloader.dataset.indices=64']


@pytest.mark.slow
def test_spos_pipeline_end_to_end(repo_root, tmp_path):
    wd = tmp_path / 'spos'
    r = subprocess.run(
        [sys.executable, osp.join(repo_root, 'demo/spos/run_spos_pipeline.py'),
         '--work-dir', str(wd), '--cfg-options', *SHRINK],
        cwd=repo_root, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    summary = json.loads((wd / 'summary.json').read_text())
    evo, rnd = summary['evolution'], summary['random']
    # two generations of 12 candidates for each search: the same budget
    assert evo['evaluated'] == rnd['evaluated'] == 24
    assert 0 <= summary['supernet_default_path_test_top1'] <= 100
    for kind in (evo, rnd):  # both searches' best are retrained
        assert 0 <= kind['retrained_test_top1'] <= 100
        assert kind['best_val_top1_supernet'] > 0
        assert kind['flops_M'] <= 1.45
    # the retrained model is the searched subnet
    best = yaml.safe_load((wd / 'search_evolution/best_subnet.yaml')
                          .read_text())
    assert {k: v['chosen'] for k, v in best.items()} == evo['subnet']
    for kind in ('evolution', 'random'):
        log = (wd / f'logs/{5 if kind == "evolution" else 7}_retrain_'
               f'{kind}.log').read_text()
        assert f'search_{kind}/best_subnet.yaml' in log
    assert 'evolution search best' in r.stdout
    assert 'random search best' in r.stdout
    # a second run finds every result and redoes nothing
    r = subprocess.run(
        [sys.executable, osp.join(repo_root, 'demo/spos/run_spos_pipeline.py'),
         '--work-dir', str(wd), '--cfg-options', *SHRINK],
        cwd=repo_root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.count('[skip]') == 8



@pytest.mark.slow
@pytest.mark.fashion_mnist
def test_spos_pipeline_on_a_fashion_mnist_slice(repo_root, tmp_path):
    wd = tmp_path / 'spos'
    r = subprocess.run(
        [sys.executable, osp.join(repo_root, 'demo/spos/run_spos_pipeline.py'),
         '--dataset', 'fashion_mnist', '--threads', '1',
         '--work-dir', str(wd), '--cfg-options', 'train_cfg.max_epochs=2',
         'train_dataloader.dataset.indices=256',
         'val_dataloader.dataset.indices=200',
         'test_dataloader.dataset.indices=200',
         # the searches score on their own loader: a slice of val
         '--search-options', 'train_cfg.dataloader.dataset.indices=200'],
        cwd=repo_root, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    summary = json.loads((wd / 'summary.json').read_text())
    assert summary['dataset'] == 'fashion_mnist' and summary['threads'] == 1
    evo, rnd = summary['evolution'], summary['random']
    # two generations of 16 candidates each, all under the params limit
    assert evo['evaluated'] == rnd['evaluated'] == 32
    for kind in (evo, rnd):
        assert kind['params_M'] <= 0.1
        assert 0 <= kind['retrained_test_top1'] <= 100
        assert len(kind['subnet']) == 12
    # the Fashion-MNIST configs ran, on the 28x28 one-channel images
    log = (wd / 'logs/1_supernet_train.log').read_text()
    assert 'FashionMNISTSplit' in log and 'in_channels=1,' in log
    assert 'Fashion-MNIST' in r.stdout and '(1 thread(s) per step)' in r.stdout
