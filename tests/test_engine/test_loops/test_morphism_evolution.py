"""The morphism evolution: metadata, inheritance, resume, and children
trained on two ranks through the local Slurm."""
import csv
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from gml.engine.runner import build_runner
from gml.utils.errors import ConfigError
from gml.config.loading import load_config
from gml.utils.fileio import load_yaml

CONFIG = 'configs/nas/morphism/morphism_evolution_digits.py'
# the former shape: a GenotypeClassifier model, the morphism keys in train_cfg
LEGACY = 'tests/data/morphism_evolution_digits_legacy.py'
# two generations after the seed, two children each, one epoch on 96
# images: a real evolution in seconds
TINY = {
    'train_cfg.max_generations': 2, 'train_cfg.num_children': 2,
    'train_cfg.num_parents': 1, 'train_cfg.init_epochs': 1,
    'train_cfg.child_epochs': 1, 'train_dataloader.dataset.indices': 96,
    'val_dataloader.dataset.indices': 64, 'randomness.seed': 3,
    'model.mutations': dict(filters=1, deepen=1, add_block=1,
                            kernel_size=1, dropout=0, strides=0,
                            block_type=0, remove_block=0, remove_depth=0),
    'log_level': 'WARNING'}
META_KEYS = {'train_loss', 'val_metric', 'config', 'parameters', 'flops',
             'training_time', 'fitness'}


def run_evolution(repo_root, work_dir, resume=False, config=CONFIG, **extra):
    tiny = dict(TINY)
    if config == LEGACY:  # the former shape: mutations in train_cfg
        tiny['train_cfg.mutations'] = tiny.pop('model.mutations')
    cfg = load_config(osp.join(repo_root, config), dict(tiny, **extra))
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.resume = resume
    cfg.launcher = 'none'
    runner = build_runner(cfg)
    runner.train()
    return runner


def rows(work_dir):
    with open(osp.join(work_dir, 'evolution.csv')) as f:
        return [{k: v for k, v in r.items() if k != 'training_time'}
                for r in csv.DictReader(f)]


@pytest.fixture(scope='module')
def full_run(repo_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('evo') / 'full'
    run_evolution(repo_root, work_dir, log_level='INFO')  # (its log: below)
    return work_dir


def test_evolution_writes_models_and_run_results(full_run):
    table = rows(full_run)
    assert [int(r['generation']) for r in table] == [0, 1, 1, 2, 2]
    # the log numbers generations as the CSV does (0 = the seed)
    log = next(full_run.glob('*/*.log')).read_text()
    assert [int(g) for g in re.findall(r'Generation (\d+) \(of 0\.\.2\)',
                                       log)] == [0, 1, 2]
    assert table[0]['parent'] == '' and table[0]['mutation'] == 'seed'
    for name in ('best_genotype.yaml', 'best_model.pth', 'fitness.png',
                 'lineage.png', 'evolution_state.json'):
        assert (full_run / name).is_file(), name
    best = max(table, key=lambda r: float(r['fitness']))
    assert load_yaml(str(full_run / 'best_genotype.yaml'))['model'] == \
        best['name']
    preserved = 0
    for r in table:
        with open(full_run / 'models' / f'{r["name"]}_meta.json') as f:
            meta = json.load(f)
        assert META_KEYS <= set(meta)
        assert len(meta['train_loss']) == len(meta['val_metric']) == 1
        assert meta['config']['genotype'] == meta['genotype']
        assert meta['parameters'] == sum(
            v.numel() for k, v in torch.load(meta['checkpoint'])[
                'state_dict'].items()
            if 'running' not in k and 'num_batches' not in k)
        if meta['parent'] is not None:  # children: parents of this run
            assert meta['parent'] < meta['id']
            inh = meta['inheritance']
            # a child said to start as its parent does (and only then)
            assert inh['function_preserving'] == (
                meta['max_abs_diff'] < 1e-4), meta['mutation']
            preserved += inh['function_preserving']
    assert preserved >= 2


def test_resume_after_interruption_equals_uninterrupted(
        repo_root, full_run, tmp_path, monkeypatch):
    from gml.engine.loops.morphism_evolution_loop import \
        MorphismEvolutionLoop
    work_dir = tmp_path / 'part'
    run_model = MorphismEvolutionLoop.run_model

    def dies_at_model_4(self, spec, by_id):
        if spec['id'] == 4:  # generation 2, after its first child
            raise KeyboardInterrupt('killed')
        return run_model(self, spec, by_id)

    monkeypatch.setattr(MorphismEvolutionLoop, 'run_model', dies_at_model_4)
    with pytest.raises(KeyboardInterrupt):
        run_evolution(repo_root, work_dir)
    with open(work_dir / 'evolution_state.json') as f:
        assert json.load(f)['generation'] == 2  # gen 2 unfinished
    assert (work_dir / 'models' / '0002_00003_meta.json').is_file()
    monkeypatch.setattr(MorphismEvolutionLoop, 'run_model', run_model)
    kept = (work_dir / 'models' / '0002_00003_meta.json').stat().st_mtime
    run_evolution(repo_root, work_dir, resume=True)
    assert rows(work_dir) == rows(full_run)
    assert ((work_dir / 'best_genotype.yaml').read_text()
            == (full_run / 'best_genotype.yaml').read_text())
    # the child finished before the kill was kept, not trained again
    assert (work_dir / 'models' / '0002_00003_meta.json').stat(
    ).st_mtime == kept


def test_runner_builds_the_morphism_algorithm_the_loop_uses(
        repo_root, tmp_path):
    from gml.models.algorithms.nas import NetworkMorphism
    runner = run_evolution(repo_root, tmp_path / 'algo',
                           **{'train_cfg.max_generations': 0})
    assert isinstance(runner.model, NetworkMorphism)
    assert runner.train_loop.algorithm is runner.model


def test_former_config_shape_evolves_the_same(repo_root, full_run, tmp_path):
    """Configs of before the algorithm (a GenotypeClassifier model, init,
    mutations and search_space in train_cfg) keep evolving identically."""
    run_evolution(repo_root, tmp_path / 'legacy', config=LEGACY)
    assert rows(tmp_path / 'legacy') == rows(full_run)
    assert ((tmp_path / 'legacy' / 'best_genotype.yaml').read_text()
            == (full_run / 'best_genotype.yaml').read_text())


def test_bad_loop_config_is_an_error_naming_the_key(repo_root, tmp_path):
    # the algorithm's arguments are checked where it is built; the tools
    # name the key path (below)
    with pytest.raises(ValueError, match="init must be one of "
                       "\\('net2net', 'r2r', 'random'\\), got 'copy'"):
        run_evolution(repo_root, tmp_path, **{'model.init': 'copy'})
    # the algorithm's keys belong to the algorithm, not to the loop
    with pytest.raises(ConfigError, match="train_cfg.init: with model.type="
                       "'gml.NetworkMorphism' give it in model \\(model.init"
                       "\\), not in train_cfg"):
        run_evolution(repo_root, tmp_path, **{'train_cfg.init': 'r2r'})
    with pytest.raises(ConfigError, match="train_cfg.init must be one of "
                       "\\('net2net', 'r2r', 'random'\\), got 'copy'"):
        run_evolution(repo_root, tmp_path, config=LEGACY,
                      **{'train_cfg.init': 'copy'})
    # tools/search.py: a supernet search still needs its checkpoint (exit 2)
    spos = 'configs/nas/spos/spos_shufflenetv2_evolution_search_digits.py'
    r = subprocess.run([sys.executable, 'tools/search.py', spos],
                       cwd=repo_root, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2 and 'pass its CHECKPOINT' in r.stderr, r.stderr
    r = subprocess.run([sys.executable, 'tools/search.py', CONFIG,
                        '--work-dir', str(tmp_path / 'bad'), '--cfg-options',
                        'model.init=copy'], cwd=repo_root,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines()[-1] == (
        "search.py: error: model.init: gml.NetworkMorphism rejects its "
        "arguments (ValueError: init must be one of ('net2net', 'r2r', "
        "'random'), got 'copy')")
    assert not (tmp_path / 'bad').exists()


@pytest.mark.slurm
@pytest.mark.slow
def test_children_trained_on_two_ranks_through_slurm(repo_root, tmp_path):
    work_dir = tmp_path / 'slurm'
    env = dict(os.environ, PYTHON=sys.executable, GPUS='2',
               GPUS_PER_NODE='0', CPUS_PER_TASK='1', OMP_NUM_THREADS='1')
    opts = [f'{k}={v}' for k, v in TINY.items() if k != 'log_level']
    opts = [o.replace(' ', '') for o in opts] + [
        'train_cfg.max_generations=1']
    r = subprocess.run(['sh', 'tools/slurm_search.sh', 'debug',
                        'gml-ci-morphism', CONFIG, '--work-dir',
                        str(work_dir), '--cfg-options', *opts],
                       cwd=repo_root, env=env, capture_output=True,
                       text=True, timeout=400)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert 'Generation 1 (of 0..1)' in out
    table = rows(work_dir)
    assert len(table) == 3
    # child i trained on rank i % 2; rank 0 wrote the run's results
    assert [r['rank'] for r in table] == ['0', '0', '1']
