"""The documented DMCP workflow through the tools: search -> export ->
retrain, locally and through Slurm; and every published config builds."""
import glob
import os
import os.path as osp
import subprocess

import numpy as np
import pytest
import yaml

from gml.models.algorithms.pruning.subnet_io import save_subnet
from gml.registry import MODELS
from gml.config.loading import load_config
from tests.test_tools.helpers import ROOT

SEARCH = 'configs/pruning/dmcp/dmcp_mobilenetv2_digits_f50.py'
RETRAIN = 'configs/pruning/dmcp/dmcp_mobilenetv2_digits_retrain.py'
TINY = ['train_dataloader.dataset.indices=64',
        'val_dataloader.dataset.indices=64']


def train(python, root, config, work_dir, *options, env=None):
    return subprocess.run(
        [python, 'tools/train.py', config, '--work-dir', str(work_dir),
         '--cfg-options', *TINY, *options],
        cwd=root, capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.parametrize('config', sorted(
    glob.glob(osp.join(ROOT, 'configs/pruning/dmcp/*imagenet*.py'))))
def test_imagenet_configs_build(config, tmp_path):
    cfg = load_config(config)
    assert cfg.model.type == 'gml.DMCP'
    if not cfg.model.get('retraining'):
        alg = MODELS.build(cfg.model)
        full = float(alg.flops(alg.mutator.max_choices())) / 1e6
        assert alg.head.target_flops in (150, 200, 300)
        assert alg.head.target_flops < full
        assert cfg.optim_wrapper.constructor == \
            'gml.SeparateOptimWrapperConstructor'
        return
    # the retrain config builds exactly the widths of a structure file
    search = MODELS.build(load_config(config.replace(
        'retrain', 'f150').replace('_f150_f', '_f')).model)
    widths = search.mutator.min_choices()
    path = save_subnet(widths, str(tmp_path))['npy']
    cfg.model.mutable_cfg = path
    net = MODELS.build(cfg.model).architecture
    assert net.backbone.conv2.conv.weight.shape[:2] == (
        widths['conv2'], widths['layer7'])


@pytest.mark.slow
def test_search_exports_then_retrain(python_exe, repo_root, tmp_path):
    search_dir = tmp_path / 'search'
    proc = train(python_exe, repo_root, SEARCH, search_dir,
                 'train_cfg.max_epochs=1')
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = search_dir / 'model_sample'
    doc = yaml.safe_load((out / 'subnet.yaml').read_text())
    widths = np.load(out / 'subnet.npy')
    assert widths.tolist() == list(doc['widths'].values())
    assert len(widths) == 25 and doc['mode'] == 'expected'
    assert 0 < doc['mflops'] < doc['supernet_mflops']

    retrain_dir = tmp_path / 'retrain'
    proc = train(python_exe, repo_root, RETRAIN, retrain_dir,
                 f'algorithm.mutable_cfg={out / "subnet.npy"}',
                 'train_cfg.max_epochs=2')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (retrain_dir / 'epoch_2.pth').exists()
    logs = glob.glob(str(retrain_dir / '*' / '*.log'))
    assert logs and 'accuracy/top1' in open(logs[0]).read()

    # a structure wider than the supernet fails, naming the layer
    doc['widths']['layer4.2.expand'] = 10_000
    bad = tmp_path / 'bad.yaml'
    bad.write_text(yaml.safe_dump(doc))
    proc = train(python_exe, repo_root, RETRAIN, tmp_path / 'bad',
                 f'algorithm.mutable_cfg={bad}')
    assert proc.returncode == 2, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert "layer 'layer4.2.expand' width 10000 is outside" in last
    assert 'Traceback' not in proc.stderr
    assert not osp.exists(osp.join(tmp_path, 'bad', 'epoch_1.pth'))


@pytest.mark.slow
@pytest.mark.slurm
def test_slurm_search_two_ranks(python_exe, repo_root, tmp_path):
    script = osp.join(repo_root, 'tools', 'slurm_train.sh')
    if not osp.isfile(script):
        pytest.skip('tools/slurm_train.sh is not in this checkout yet')
    env = dict(os.environ, GPUS='2', GPUS_PER_NODE='0', CPUS_PER_TASK='1',
               PYTHON=python_exe, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        ['sh', 'tools/slurm_train.sh', 'debug', 'gml_dmcp_test', SEARCH,
         '--work-dir', str(tmp_path), '--cfg-options', *TINY,
         'train_cfg.max_epochs=1'],
        cwd=repo_root, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / 'model_sample' / 'subnet.npy').exists()
    log = open(glob.glob(str(tmp_path / '*' / '*.log'))[0]).read()
    # two ranks (DMCPDDP, gloo) ran the multi-forward step together
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert 'Epoch(train) [1][1/1]' in log
