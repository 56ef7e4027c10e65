"""tools/nas/ensemble.py and gml.EnsembleClassifier: the top-k models of a
real (tiny) morphism evolution averaged into one model, tested in PyTorch
and onnxruntime, and its bad inputs."""
import csv
import importlib.util
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch

from gml.engine.runner import build_runner
from gml.registry import MODELS
from gml.config.loading import load_config

CONFIG = 'configs/nas/morphism/morphism_evolution_digits.py'
TINY = {
    'train_cfg.max_generations': 1, 'train_cfg.num_children': 2,
    'train_cfg.num_parents': 1, 'train_cfg.init_epochs': 1,
    'train_cfg.child_epochs': 1, 'train_dataloader.dataset.indices': 96,
    'val_dataloader.dataset.indices': 64, 'randomness.seed': 5,
    'model.mutations': dict(filters=1, deepen=1, add_block=0,
                            kernel_size=1, dropout=0, strides=0,
                            block_type=0, remove_block=0, remove_depth=0),
    'log_level': 'WARNING'}
TEST_SLICE = ['test_dataloader.dataset.indices=96']


def load_tool(repo_root):
    spec = importlib.util.spec_from_file_location(
        'ensemble_tool', osp.join(repo_root, 'tools/nas/ensemble.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def evolution(repo_root, tmp_path_factory):
    cfg = load_config(osp.join(repo_root, CONFIG), TINY)
    cfg.work_dir = str(tmp_path_factory.mktemp('evo') / 'run')
    cfg.launcher = 'none'
    build_runner(cfg).train()
    return cfg.work_dir


@pytest.mark.slow
def test_morphism_top_k_ensemble(repo_root, evolution, tmp_path, capsys):
    out = tmp_path / 'ens'
    load_tool(repo_root).main([
        '--morphism', evolution, '--k', '2', '--config',
        osp.join(repo_root, CONFIG), '--work-dir', str(out),
        '--cfg-options', *TEST_SLICE])
    printed = capsys.readouterr().out
    summary = json.loads((out / 'ensemble.json').read_text())
    with open(osp.join(evolution, 'evolution.csv')) as f:
        table = sorted(csv.DictReader(f),
                       key=lambda r: (-float(r['fitness']), int(r['id'])))
    # the two fittest, fittest first
    assert [m['name'] for m in summary['members']] == \
        [r['name'] for r in table[:2]]
    assert summary['ensemble']['params'] == sum(
        m['params'] for m in summary['members'])
    assert 'ensemble of 2 (mean_logits)' in printed
    # the saved config + checkpoint are an ordinary model for tools/test.py
    cfg = load_config(str(out / 'ensemble.py'))
    cfg.work_dir, cfg.load_from = str(tmp_path / 't'), str(
        out / 'ensemble.pth')
    top1 = build_runner(cfg).test()['accuracy/top1']
    assert top1 == pytest.approx(summary['ensemble']['top1'])
    # one ONNX graph with the same predictions (96 images: 1 = 1.04 points)
    assert abs(summary['ensemble']['onnxruntime_top1'] - top1) <= 1.05
    res = subprocess.run(
        [sys.executable, 'tools/test.py', str(out / 'ensemble.py'),
         str(out / 'ensemble.onnx'), '--backend', 'onnxruntime',
         '--work-dir', str(tmp_path / 'ort')],
        cwd=repo_root, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    printed = json.loads(res.stdout.split('Test metrics:', 1)[1])
    assert printed['accuracy/top1'] == pytest.approx(
        summary['ensemble']['onnxruntime_top1'])


@pytest.mark.parametrize('argv, match', [
    (['--k', '3'], 'give either --morphism'),
    (['--morphism', '{evo}'], '--morphism needs --config'),
    (['--morphism', '{evo}', '--config', CONFIG, '--k', '9'],
     'evolution.csv has 3 models; --k 9 needs at least 9'),
    (['--morphism', '{tmp}', '--config', CONFIG],
     'evolution.csv does not exist'),
    (['--member', CONFIG, 'x.pth'], 'needs 2 or more'),
    (['--member', CONFIG, '{tmp}/a.pth', '--member', CONFIG, 'b.pth'],
     'member .*: checkpoint .*a.pth does not exist'),
])
def test_bad_input_is_one_line(repo_root, evolution, tmp_path, capsys,
                               argv, match):
    argv = [a.format(evo=evolution, tmp=tmp_path) for a in argv]
    out = tmp_path / 'out'
    with pytest.raises(SystemExit) as e:
        load_tool(repo_root).main(argv + ['--work-dir', str(out)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    import re
    assert re.search(match, err), err
    assert not (out / 'ensemble.pth').exists()


def test_explicit_members_spos_subnets(repo_root, tmp_path, capsys):
    """Retrained SPOS subnets (here: two subnets of the tiny supernet,
    weights as initialised) as --member CONFIG CHECKPOINT pairs."""
    import random

    from gml.structures import dump_subnet
    from tests.test_engine.pareto_helpers import (build_supernet,
                                                  write_subnet_config)
    mutator = build_supernet().mutator
    rng = random.Random(0)
    members = []
    for i in range(2):
        yaml = str(tmp_path / f'candidate_{i}' / 'subnet.yaml')
        dump_subnet(mutator.sample_choices(rng), yaml)
        cfg_path = write_subnet_config(str(tmp_path / f'candidate_{i}' /
                                           'subnet.py'))
        cfg = load_config(cfg_path, {'algorithm.mutable_cfg': yaml})
        cfg.test_dataloader, cfg.test_evaluator = (cfg.val_dataloader,
                                                   cfg.val_evaluator)
        cfg.test_cfg = dict()
        cfg.dump(cfg_path)
        torch.manual_seed(i)
        model = MODELS.build(dict(cfg.model,
                                  data_preprocessor=cfg.data_preprocessor))
        ckpt = str(tmp_path / f'candidate_{i}' / 'epoch_1.pth')
        torch.save({'state_dict': model.state_dict()}, ckpt)
        members += ['--member', cfg_path, ckpt]
    out = tmp_path / 'ens'
    load_tool(repo_root).main(members + ['--work-dir', str(out),
                                         '--input-shape', '3', '8', '8'])
    summary = json.loads((out / 'ensemble.json').read_text())
    assert [m['name'] for m in summary['members']] == ['candidate_0',
                                                       'candidate_1']
    ens = summary['ensemble']
    assert abs(ens['onnxruntime_top1'] - ens['top1']) <= 100 / 32 + 1e-6
    assert '| candidate_0 |' in capsys.readouterr().out
