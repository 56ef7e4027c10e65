"""Fashion-MNIST for users: the preparation step and the error a tool
gives when the files are missing (one line, exit 2, nothing written)."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from .helpers import ROOT, run_tool

SUPERNET = 'configs/nas/spos/spos_shufflenetv2_supernet_fashion_mnist.py'
PREPARE = 'tools/dataset_converters/prepare_fashion_mnist.py'
DEBIAN = '/usr/share/datasets/fashion-mnist'


def test_missing_dataset_is_one_line_exit_2(tmp_path):
    missing = tmp_path / 'no_fmnist'
    r = run_tool('train.py', SUPERNET, '--work-dir', tmp_path / 'wd',
                 '--cfg-options', f'train_dataloader.dataset.data_root='
                 f'{missing}', env=dict(OMP_NUM_THREADS='1'))
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, r.stderr[-2000:]
    assert lines[0] == (
        f'train.py: error: Fashion-MNIST: {missing}/train-images-idx3-ubyte '
        f'does not exist; run `python {PREPARE} --out {missing}`')
    assert not (tmp_path / 'wd').exists() and not missing.exists()


@pytest.mark.skipif(not osp.isdir(DEBIAN), reason=f'{DEBIAN} absent '
                    '(Debian package dataset-fashion-mnist): preparing '
                    'would download')
def test_prepare_from_debian_is_idempotent(tmp_path):
    out = tmp_path / 'fm'

    def prepare(*extra):
        return subprocess.run([sys.executable, PREPARE, '--out', str(out),
                               *extra], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
    r = prepare()
    assert r.returncode == 0 and 'ready' in r.stdout, r.stderr
    assert sorted(os.listdir(out)) == [
        't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte',
        'train-images-idx3-ubyte', 'train-labels-idx1-ubyte']
    mtime = os.stat(out / 'train-images-idx3-ubyte').st_mtime_ns
    r = prepare()
    assert r.returncode == 0 and 'already prepared' in r.stdout
    assert os.stat(out / 'train-images-idx3-ubyte').st_mtime_ns == mtime
    # a cut-short file is found and prepared again
    path = out / 't10k-labels-idx1-ubyte'
    path.write_bytes(path.read_bytes()[:100])
    r = prepare()
    assert r.returncode == 0 and 'ready' in r.stdout
    assert os.path.getsize(path) == 10008


MORPHISM = 'configs/nas/morphism/morphism_evolution_fashion_mnist.py'
GENOTYPE = 'configs/nas/morphism/genotype_fashion_mnist.py'


@pytest.mark.fashion_mnist
def test_morphism_evolution_on_a_fashion_mnist_slice(tmp_path):
    """Evolly's example through the tools: the shipped config evolves 1-channel
    28x28 genotypes, and its best genotype retrains and tests with the
    genotype config, as the README's commands run them."""
    env = dict(OMP_NUM_THREADS='1')
    evo = tmp_path / 'evo'
    r = run_tool('search.py', MORPHISM, '--work-dir', evo, '--cfg-options',
                 'train_dataloader.dataset.indices=256',
                 'val_dataloader.dataset.indices=100',
                 'train_cfg.max_generations=1', 'train_cfg.num_children=2',
                 'train_cfg.init_epochs=1', env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    with open(evo / 'evolution.csv') as f:
        assert len(f.read().strip().splitlines()) == 1 + 3  # seed + 2
    best = evo / 'best_genotype.yaml'
    opts = [f'model.backbone.genotype={best}',
            'train_dataloader.dataset.indices=256',
            'test_dataloader.dataset.indices=100', 'train_cfg.max_epochs=1',
            'train_cfg.val_interval=1', 'val_dataloader.dataset.indices=100']
    r = run_tool('train.py', GENOTYPE, '--work-dir', tmp_path / 're',
                 '--cfg-options', *opts, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    metrics = tmp_path / 'test.json'
    r = run_tool('test.py', GENOTYPE, tmp_path / 're' / 'epoch_1.pth',
                 '--work-dir', tmp_path / 're', '--out', metrics,
                 '--cfg-options', *opts, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    with open(metrics) as f:
        assert 'accuracy/top1' in json.load(f)
    # the retrained net reads grayscale: every stem conv takes 1 channel
    state = torch.load(tmp_path / 're' / 'epoch_1.pth',
                       map_location='cpu')['state_dict']
    stems = [v for k, v in state.items()
             if k.startswith('backbone.') and 'stem' in k and v.dim() == 4]
    assert stems and all(v.shape[1] == 1 for v in stems)
