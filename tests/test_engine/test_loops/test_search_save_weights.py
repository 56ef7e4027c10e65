"""save_weights on the SPOS evolution search: each kept subnet's checkpoint
is the supernet path with BN as scored, and validates to its score."""
import pytest
from mmengine.config import Config

from gml.engine.runner import build_runner
from gml.structures import load_subnet
from tests.test_engine.pareto_helpers import base_cfg, saved_weights_top1


def test_evolution_top_k_weights(tmp_path):
    wd = tmp_path / 'search'
    loop = dict(type='gml.EvolutionSearchLoop', max_epochs=2,
                num_candidates=4, top_k=2, num_mutation=2, num_crossover=2,
                input_shape=(3, 8, 8), calibrate_batches=1,
                save_weights=True)
    runner = build_runner(Config(base_cfg(wd, train_cfg=loop)))
    runner.train()
    top = runner.train_loop.top
    for i, record in enumerate(top):
        yaml = wd / 'top_k' / f'rank_{i}.yaml'
        assert load_subnet(str(yaml)) == record['subnet']
        top1 = saved_weights_top1(yaml, wd / 'top_k' / f'rank_{i}.pth',
                                  tmp_path / f'test_{i}')
        assert top1 == pytest.approx(record['score'])
