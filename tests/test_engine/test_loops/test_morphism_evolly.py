"""What Evolly's users expect of the morphism evolution: a metric to
minimise (``rule='less'``), TensorBoard scalars through mmengine's
visualizer, fitness in the meta file names and a storyboard of the best
lineage."""
import csv
import glob
import json
import os.path as osp
import re

import pytest

from gml.engine.reports.evolution_report import (best_record, best_so_far,
                                                  find_meta, meta_name)
from gml.utils.fileio import load_yaml

from .test_morphism_evolution import run_evolution


@pytest.fixture(scope='module')
def less_run(repo_root, tmp_path_factory):
    """The tiny evolution minimising top-1 (so the direction is visible),
    with TensorBoard and fitness in the meta names."""
    work_dir = tmp_path_factory.mktemp('evolly') / 'less'
    run_evolution(repo_root, work_dir, **{
        'train_cfg.rule': 'less', 'train_cfg.fitness_in_names': True,
        'visualizer.vis_backends': [dict(type='TensorboardVisBackend')]})
    return work_dir


def table(work_dir):
    with open(osp.join(work_dir, 'evolution.csv')) as f:
        return list(csv.DictReader(f))


def test_rule_less_picks_parents_and_best_by_the_lowest_fitness(less_run):
    rows = table(less_run)
    fit = {int(r['id']): float(r['fitness']) for r in rows}
    assert len(set(fit.values())) > 1  # a direction to get wrong
    lowest = min(fit, key=lambda i: (fit[i], i))
    best = load_yaml(str(less_run / 'best_genotype.yaml'))
    assert best['model'] == rows[lowest]['name']
    # num_parents=1: each generation's children come from the lowest so far
    for g in (1, 2):
        before = [i for i in fit if int(rows[i]['generation']) < g]
        parent = min(before, key=lambda i: (fit[i], i))
        assert {int(r['parent']) for r in rows
                if int(r['generation']) == g} == {parent}
    # with fitness weights, a larger model must not look better when
    # minimising: the ratio is inverted
    from gml.engine.loops.morphism_evolution_loop import \
        MorphismEvolutionLoop
    loop = MorphismEvolutionLoop.__new__(MorphismEvolutionLoop)
    loop.fitness_cfg = dict(target_params=100, w_params=1.0,
                            target_flops=None, w_flops=0.0)
    loop.rule = 'less'
    assert loop.fitness(0.5, 200, 1) > loop.fitness(0.5, 100, 1)
    loop.rule = 'greater'
    assert loop.fitness(0.5, 200, 1) < loop.fitness(0.5, 100, 1)


def test_meta_names_carry_the_fitness_and_old_names_still_read(less_run,
                                                              tmp_path):
    rows = table(less_run)
    for r in rows:
        path = find_meta(str(less_run / 'models'), r['name'])
        with open(path) as f:
            meta = json.load(f)
        assert osp.basename(path) == \
            f'{r["name"]}_{meta["fitness"]:.5f}_meta.json'
        assert re.fullmatch(r'\d{4}_\d{5}_-?\d+\.\d{5}_meta\.json',
                            osp.basename(path))
    assert not glob.glob(str(less_run / 'models' / '*_?????_meta.json'))
    # a run written with the old names is found too
    (tmp_path / '0000_00000_meta.json').write_text('{}')
    assert find_meta(str(tmp_path), '0000_00000') == \
        str(tmp_path / '0000_00000_meta.json')
    assert find_meta(str(tmp_path), '0000_00001') == ''
    assert meta_name('0000_00001', 0.905474, True) == \
        '0000_00001_0.90547_meta.json'
    assert meta_name('0000_00001', 0.905474, False) == \
        '0000_00001_meta.json'


def test_tensorboard_has_the_evolution_scalars(less_run):
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    events = glob.glob(str(less_run / '*' / 'vis_data' / 'events.out.*'))
    assert events
    acc = EventAccumulator(osp.dirname(events[0]))
    acc.Reload()
    tags = acc.Tags()['scalars']
    for tag in ('evolution/generation_best_fitness', 'evolution/best_fitness',
                'evolution/best_params'):
        assert tag in tags, tags
    records = json.loads((less_run / 'evolution_state.json').read_text())[
        'records']
    best = [e.value for e in acc.Scalars('evolution/best_fitness')]
    assert [e.step for e in acc.Scalars('evolution/best_fitness')] == \
        [0, 1, 2]
    assert best == pytest.approx(best_so_far(records, 'less'), rel=1e-6)
    assert best == sorted(best, reverse=True)  # minimising: never up
    assert acc.Scalars('evolution/best_params')[-1].value == \
        best_record(records, 'less')['params']


def test_storyboard_of_the_best_lineage(less_run, repo_root, tmp_path,
                                        capsys):
    from gml.engine.reports.storyboard import best_lineage
    records = json.loads((less_run / 'evolution_state.json').read_text())[
        'records']
    chain = best_lineage(records, 'less')
    assert chain[0]['parent'] is None
    assert chain[-1]['id'] == best_record(records, 'less')['id']
    for parent, child in zip(chain, chain[1:]):
        assert child['parent'] == parent['id']
    assert (less_run / 'storyboard.png').stat().st_size > 1000
    out = tmp_path / 'story.png'
    tool = _load_tool(repo_root)
    tool.main([str(less_run), '--out', str(out)])
    assert out.stat().st_size > 1000
    assert ' -> '.join(c['name'] for c in chain) in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        tool.main([str(tmp_path)])
    assert e.value.code == 2
    assert 'evolution_state.json' in capsys.readouterr().err


def _load_tool(repo_root):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'morphism_storyboard',
        osp.join(repo_root, 'tools', 'nas', 'morphism_storyboard.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rule_is_validated_and_kept_on_resume(repo_root, tmp_path, less_run):
    from gml.utils.errors import ConfigError
    with pytest.raises(ConfigError, match="train_cfg.rule must be one of "
                       "\\('greater', 'less'\\), got 'max'"):
        run_evolution(repo_root, tmp_path, **{'train_cfg.rule': 'max'})
    # resuming a 'less' run as 'greater' would mix directions
    import shutil
    copy = tmp_path / 'copy'
    shutil.copytree(less_run, copy)
    with pytest.raises(ConfigError, match="rule='less'"):
        run_evolution(repo_root, copy, resume=True)
