"""tools/nas/select_and_export.py: choose K front members under a latency
budget, retrain them with tools/train.py, pick, export ONNX, check it."""
import csv
import json
import os
import os.path as osp
import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from gml.structures import dump_subnet
from tests.test_engine.pareto_helpers import (build_supernet,
                                              write_subnet_config)

# id, search score, latency_ms: the budget (2.5 ms) leaves ids 1, 2, 3; the
# K=2 best-scored of those are 1 and 2
FRONT = [(0, 90.0, 3.0), (1, 80.0, 2.0), (2, 70.0, 1.0), (3, 60.0, 0.5)]


def make_search_dir(path):
    mutator = build_supernet().mutator
    rng = random.Random(0)
    path.mkdir(parents=True, exist_ok=True)
    # the columns ParetoSearchLoop writes: objectives, then the choices
    blocks = list(mutator.search_space)
    fields = ['id', 'generation', 'origin', 'score', 'flops_M', 'params_M',
              'latency_ms', 'predicted_score'] + blocks
    with open(path / 'pareto_front.csv', 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(fields)
        for cid, score, latency in FRONT:
            subnet = mutator.sample_choices(rng)
            w.writerow([cid, 0, 'random', score, 0.2, 0.03, latency, ''] +
                       [subnet[b] for b in blocks])
            dump_subnet(subnet, str(
                path / 'pareto_front' / f'candidate_{cid}.yaml'))


def tool(repo_root, *args):
    return subprocess.run(
        [sys.executable, osp.join(repo_root, 'tools/nas/select_and_export.py'),
         *map(str, args)], cwd=repo_root, capture_output=True, text=True,
        timeout=900)


@pytest.mark.slow
def test_select_retrain_export_matches_onnxruntime(repo_root, tmp_path):
    search = tmp_path / 'search'
    make_search_dir(search)
    config = write_subnet_config(str(tmp_path / 'cfg' / 'subnet.py'))
    out = tmp_path / 'out'
    r = tool(repo_root, search, config, '--work-dir', out, '--k', 2,
             '--latency-budget', 2.5)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    sel = json.loads((out / 'selection.json').read_text())
    assert [m['id'] for m in sel['members']] == [1, 2]  # numbers
    assert [m['score'] for m in sel['members']] == [80.0, 70.0]
    assert [m['latency_ms'] for m in sel['members']] == [2.0, 1.0]
    # both retrained through tools/train.py with their yaml (the config
    # the Runner dumped into the work dir names it)
    for m in sel['members']:
        wd = out / f'candidate_{m["id"]}'
        dumped = (wd / 'subnet.py').read_text()
        assert 'mutable_cfg=' in dumped and f"'{m['yaml']}'" in dumped
        assert osp.isfile(m['checkpoint'])
        assert f'tools/train.py {config}' in r.stdout
    # the rule: the better retrained score (ties: lower latency)
    best = min(sel['members'], key=lambda m: (-m['retrained_score'],
                                              m['latency_ms']))
    assert sel['chosen'] == best['id']
    check = sel['onnxruntime_check']
    assert check['max_abs_diff'] <= 1e-4 and check['batch'] == 32
    assert sorted(p.name for p in out.glob('model.onnx*')) == ['model.onnx']
    lat = sel['cpu_latency_batch1']
    assert lat['pytorch_ms'] > 0 and lat['onnxruntime_ms'] > 0
    for name in ('pytorch', 'onnxruntime'):  # the rounds' spread is kept
        assert 0 < lat[name]['lo_ms'] <= lat[name]['hi_ms']
    assert 'interleaved rounds' in r.stdout

    # independently: the checkpoint in PyTorch vs the ONNX file in
    # onnxruntime, on other inputs and another batch size
    import onnxruntime as ort
    from mmengine.runner import load_checkpoint

    from gml.registry import MODELS
    from gml.config.loading import load_config
    cfg = load_config(config, {'algorithm.mutable_cfg': best['yaml']})
    model = MODELS.build(dict(cfg.model,
                              data_preprocessor=cfg.data_preprocessor))
    load_checkpoint(model, best['checkpoint'], map_location='cpu',
                    logger='silent')
    model.eval()
    x = torch.rand(5, 3, 8, 8) * 255
    with torch.no_grad():
        expected = model(model.data_preprocessor(
            dict(inputs=list(x)))['inputs'], mode='tensor').numpy()
    session = ort.InferenceSession(sel['onnx'],
                                   providers=['CPUExecutionProvider'])
    got = session.run(None, {'input': x.numpy()})[0]
    np.testing.assert_allclose(got, expected, atol=1e-4)

    # a rerun retrains nothing
    r = tool(repo_root, search, config, '--work-dir', out, '--k', 2,
             '--latency-budget', 2.5)
    assert r.returncode == 0 and r.stdout.count('[skip]') == 2
    assert sel['final'] is None

    # --final-epochs: the chosen subnet trained once more, for 1 epoch, and
    # that model exported (the members are not retrained again)
    r = tool(repo_root, search, config, '--work-dir', out, '--k', 2,
             '--latency-budget', 2.5, '--final-epochs', 1)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert r.stdout.count('[skip]') == 2
    sel = json.loads((out / 'selection.json').read_text())
    final = sel['final']
    assert final['epochs'] == 1 and sel['chosen'] == best['id']
    assert final['work_dir'] == str(out / f'final_{best["id"]}')
    assert final['checkpoint'].endswith('epoch_1.pth')
    dumped = (out / f'final_{best["id"]}' / 'subnet.py').read_text()
    import re
    assert re.search(r'max_epochs=1\b', dumped), dumped
    assert f"'{best['yaml']}'" in dumped
    assert f'final training of candidate {best["id"]}, 1 epochs' in r.stdout
    with torch.no_grad():  # the export is the final model, not the member
        load_checkpoint(model, final['checkpoint'], map_location='cpu',
                        logger='silent')
        expected = model(model.data_preprocessor(
            dict(inputs=list(x)))['inputs'], mode='tensor').numpy()
    got = ort.InferenceSession(sel['onnx'], providers=[
        'CPUExecutionProvider']).run(None, {'input': x.numpy()})[0]
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_bad_input_is_one_line(repo_root, tmp_path):
    search = tmp_path / 'search'
    make_search_dir(search)
    config = write_subnet_config(str(tmp_path / 'subnet.py'))
    r = tool(repo_root, search, config, '--work-dir', tmp_path / 'o',
             '--latency-budget', 0.1)
    assert r.returncode == 2
    assert ('no front member in' in r.stderr
            and 'the fastest takes 0.500 ms' in r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1
    r = tool(repo_root, tmp_path, config, '--work-dir', tmp_path / 'o')
    assert r.returncode == 2 and 'pareto_front.csv does not exist' in r.stderr
    r = tool(repo_root, search, config, '--work-dir', tmp_path / 'o',
             '--launcher', 'slurm')
    assert r.returncode == 2 and 'needs --partition' in r.stderr


@pytest.mark.slow
@pytest.mark.slurm
def test_retrains_through_slurm(repo_root, tmp_path):
    search = tmp_path / 'search'
    make_search_dir(search)
    config = write_subnet_config(str(tmp_path / 'cfg' / 'subnet.py'))
    out = tmp_path / 'out'
    env = dict(os.environ, GPUS='1', GPUS_PER_NODE='0', CPUS_PER_TASK='1',
               PYTHON=sys.executable)
    r = subprocess.run(
        [sys.executable, osp.join(repo_root, 'tools/nas/select_and_export.py'),
         str(search), config, '--work-dir', str(out), '--k', '1',
         '--launcher', 'slurm', '--partition', 'debug'], cwd=repo_root,
        capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    sel = json.loads((out / 'selection.json').read_text())
    assert sel['chosen'] == 0  # k=1, no budget: the best search score
    assert 'tools/slurm_train.sh debug select_0' in r.stdout
    assert 'srun' in (out / 'candidate_0' / 'retrain.log').read_text()
    assert sel['onnxruntime_check']['max_abs_diff'] <= 1e-4
