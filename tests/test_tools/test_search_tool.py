"""tools/search.py end to end on the embedded digits (subprocesses)."""
import csv
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

CONFIG = 'configs/nas/spos/spos_shufflenetv2_evolution_search_digits.py'
RANDOM_CONFIG = 'configs/nas/spos/spos_shufflenetv2_random_search_digits.py'
# a small but real search: 4 generations of 4 candidates, 64 val images
SMALL = ['train_cfg.max_epochs=4', 'train_cfg.num_candidates=4',
         'train_cfg.num_mutation=2', 'train_cfg.num_crossover=1',
         'train_cfg.top_k=2', 'train_cfg.calibrate_batches=2',
         'val_dataloader.dataset.indices=64', 'randomness.seed=7']


@pytest.fixture(scope='module')
def supernet_ckpt(tmp_path_factory, repo_root):
    """A supernet checkpoint in mmengine's format (random weights are
    enough to exercise the search machinery)."""
    sys.path.insert(0, repo_root)
    from gml.registry import MODELS
    from gml.config.loading import load_config
    cfg = load_config(osp.join(repo_root, CONFIG))
    model = dict(cfg.model, data_preprocessor=cfg.data_preprocessor)
    torch.manual_seed(0)
    spos = MODELS.build(model)
    path = str(tmp_path_factory.mktemp('ckpt') / 'supernet.pth')
    torch.save({'state_dict': spos.state_dict(), 'meta': {}}, path)
    return path


def search_cmd(repo_root, ckpt, work_dir, *extra, config=CONFIG):
    return [sys.executable, osp.join(repo_root, 'tools/search.py'),
            osp.join(repo_root, config), ckpt, '--work-dir', str(work_dir),
            *extra]


def run(cmd, repo_root, **kw):
    return subprocess.run(cmd, cwd=repo_root, capture_output=True, text=True,
                          timeout=600, **kw)


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_evolution_search_limits_no_duplicates_resume(
        repo_root, supernet_ckpt, tmp_path):
    limit = 1.33  # MFLOPs: the space spans 1.21-1.60, this excludes ~75 %
    opts = SMALL + [f'train_cfg.flops_range=[None,{limit}]']
    full = tmp_path / 'full'
    r = run(search_cmd(repo_root, supernet_ckpt, full, '--cfg-options',
                       *opts), repo_root)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = read_csv(full / 'candidates.csv')
    assert len(rows) == 16
    assert all(float(row['flops_M']) <= limit for row in rows)
    layer_cols = [k for k in rows[0] if k.startswith('backbone.')]
    assert len(layer_cols) == 5
    keys = [tuple(row[k] for k in layer_cols) for row in rows]
    assert len(set(keys)) == len(keys)  # never a duplicate
    assert {row['origin'] for row in rows} >= {'random', 'mutation',
                                               'crossover'}
    for name in ('best_subnet.yaml', 'top_k/rank_1.yaml', 'search_curve.png',
                 'score_vs_flops.png', 'search_state.json'):
        assert (full / name).is_file(), name
    assert 'Generation 3 (of 0..3)' in r.stdout + r.stderr

    # kill a second run after its first saved generation, then resume it
    part = tmp_path / 'part'
    proc = subprocess.Popen(search_cmd(repo_root, supernet_ckpt, part,
                                       '--cfg-options', *opts),
                            cwd=repo_root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    state = part / 'search_state.json'
    deadline = time.time() + 400

    def finished_generations():
        try:  # (written atomically, first with generation 0's proposals)
            return json.loads(state.read_text())['generation']
        except (OSError, ValueError):
            return 0

    while finished_generations() < 1 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with open(state) as f:
        killed_at = json.load(f)['generation']
    assert 1 <= killed_at < 4, 'the run was not killed mid-search'
    r = run(search_cmd(repo_root, supernet_ckpt, part, '--resume',
                       '--cfg-options', *opts), repo_root)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (f'Resumed the search from {state}: {killed_at} generation(s) '
            'finished') in (
        r.stdout + r.stderr)
    assert read_csv(part / 'candidates.csv') == rows
    assert ((part / 'best_subnet.yaml').read_text()
            == (full / 'best_subnet.yaml').read_text())


@pytest.mark.slow
def test_random_search_and_bad_input(repo_root, supernet_ckpt, tmp_path):
    r = run(search_cmd(repo_root, supernet_ckpt, tmp_path / 'rnd',
                       '--cfg-options', 'train_cfg.max_epochs=2',
                       'train_cfg.num_candidates=3', 'train_cfg.top_k=2',
                       'train_cfg.calibrate_batches=1',
                       'val_dataloader.dataset.indices=32',
                       config=RANDOM_CONFIG), repo_root)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = read_csv(tmp_path / 'rnd' / 'candidates.csv')
    assert len(rows) == 6 and {row['origin'] for row in rows} == {'random'}
    # a checkpoint that does not exist, a config that is not a search
    r = run(search_cmd(repo_root, 'nope.pth', tmp_path / 'x'), repo_root)
    assert r.returncode == 2 and "checkpoint 'nope.pth' does not exist" in (
        r.stderr)
    r = run(search_cmd(repo_root, supernet_ckpt, tmp_path / 'x',
                       config='configs/nas/spos/'
                       'spos_shufflenetv2_supernet_digits.py'), repo_root)
    assert r.returncode == 2 and 'train_cfg.type must be a search loop' in (
        r.stderr)


@pytest.mark.slow
@pytest.mark.slurm
def test_slurm_search_two_ranks(repo_root, supernet_ckpt, tmp_path):
    env = dict(os.environ, GPUS='2', GPUS_PER_NODE='0', CPUS_PER_TASK='1',
               PYTHON=sys.executable)
    r = run(['sh', 'tools/slurm_search.sh', 'debug', 'gml_nas_test',
             CONFIG, supernet_ckpt, '--work-dir', str(tmp_path / 'slurm'),
             '--cfg-options', 'train_cfg.max_epochs=2',
             'train_cfg.num_candidates=3', 'train_cfg.num_mutation=1',
             'train_cfg.num_crossover=1', 'train_cfg.top_k=2',
             'train_cfg.calibrate_batches=1', 'train_cfg.score_mode=data',
             'val_dataloader.dataset.indices=64'], repo_root, env=env)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    rows = read_csv(tmp_path / 'slurm' / 'candidates.csv')
    assert len(rows) == 6
    # both ranks scored the same candidates, each on half of the validation
    # set: one log line per generation from rank 0 only, and a world size
    # of 2 in the environment log
    out = r.stdout + r.stderr
    assert out.count('Generation 1 (of 0..1)') == 1
    assert 'GPU number: 2' in out  # mmengine's name for the world size
