"""BaseSearchLoop's scoring in one process: failures, resume, score modes."""
import itertools
import json

import pytest
import torch

from gml.engine.loops import SearchError
from gml.engine.runner import build_runner
from gml.engine.dispatch.executors import InProcessExecutor
from gml.engine.scoring.scoring_job import ScoreCandidate
from gml.config.overrides import ConfigError
from gml.config.loading import load_config
from tests.data.tiny_supernet import CONFIG, build_tiny_supernet

_names = itertools.count()


@pytest.fixture(scope='module')
def supernet(tmp_path_factory):
    torch.manual_seed(3)
    path = str(tmp_path_factory.mktemp('ckpt') / 'supernet.pth')
    torch.save({'state_dict': build_tiny_supernet().state_dict(),
                'meta': {}}, path)
    return path


def search(supernet, work_dir, executor_object=None, **train_cfg):
    """Run the tiny search in this process (an executor object goes to the
    loop directly: a config holds only dicts)."""
    cfg = load_config(CONFIG)
    cfg.work_dir, cfg.load_from = str(work_dir), supernet
    cfg.experiment_name = f'search_{next(_names)}'  # one logger per runner
    cfg.train_cfg.update(train_cfg)
    runner = build_runner(cfg)
    if executor_object is not None:
        runner._train_loop = runner.build_train_loop(runner._train_loop)
        runner._train_loop.executor = executor_object
    runner.train()
    return runner.train_loop


def records(work_dir):
    with open(work_dir / 'search_state.json') as f:
        return json.load(f)['records']


def test_failed_chunk_reported_then_only_it_rescored(supernet, tmp_path,
                                                     monkeypatch):
    reference = search(supernet, tmp_path / 'ref').records
    calls, failing = [], {2}
    score = ScoreCandidate.__call__

    def flaky(self, item):
        calls.append(item[0])
        if item[0] in failing:
            raise RuntimeError('out of memory (simulated)')
        return score(self, item)

    monkeypatch.setattr(ScoreCandidate, '__call__', flaky)
    work_dir = tmp_path / 'failing'
    with pytest.raises(SearchError) as err:
        search(supernet, work_dir,
               executor_object=InProcessExecutor(chunk_size=2, retries=1))
    message = str(err.value)
    assert ('generation 0: 1 of 2 chunk(s) failed after every attempt:\n'
            '  candidate 2, candidate 3: failed 2 time(s): RuntimeError: out '
            'of memory (simulated)') in message
    assert '--resume' in message
    assert calls == [0, 1, 2, 2]  # the chunk was tried twice
    pending = work_dir / 'search_pending' / 'gen_0'
    assert sorted(p.name for p in pending.glob('?.json')) == ['0.json',
                                                              '1.json']

    calls.clear()
    failing.clear()  # the cause is fixed
    loop = search(supernet, work_dir, resume=True,
                  executor_object=InProcessExecutor(chunk_size=2))
    assert calls[:2] == [2, 3]  # candidates 0 and 1 were not scored again
    assert sorted(calls) == list(range(2, 8))
    assert loop.records == reference
    assert records(work_dir) == reference


def test_data_mode_equals_candidates_mode_in_one_process(supernet,
                                                         tmp_path):
    data = search(supernet, tmp_path / 'data', score_mode='data').records
    assert data == search(supernet, tmp_path / 'cand').records
    assert len({r['score'] for r in data}) > 1


@pytest.mark.parametrize('train_cfg, message', [
    (dict(score_mode='rank'), "train_cfg.score_mode: got 'rank', expected "
     "one of 'candidates', 'data'"),
    (dict(executor=dict(type='cloud')), "train_cfg.executor: type must be "
     "one of slurm, local, auto, got 'cloud'"),
    (dict(executor=dict(type='local'), score_mode='data'),
     "cannot be combined with train_cfg.score_mode='data'")])
def test_bad_scoring_config(supernet, tmp_path, train_cfg, message):
    with pytest.raises(ConfigError) as err:
        search(supernet, tmp_path, **train_cfg)
    assert message in str(err.value)


def test_finished_generations_leave_no_pending_folder(supernet, tmp_path):
    loop = search(supernet, tmp_path)
    assert loop.generation == loop.num_generations and loop.records
    assert not (tmp_path / 'search_pending').exists()


def test_logs_csv_and_state_number_generations_alike(supernet, tmp_path):
    """One numbering (from 0): the log's, the CSV's and the state's."""
    import csv
    import re
    loop = search(supernet, tmp_path)
    log = next(tmp_path.glob('*/*.log')).read_text()
    logged = [int(g) for g in re.findall(
        rf'Generation (\d+) \(of 0\.\.{loop.num_generations - 1}\): ', log)]
    with open(tmp_path / 'candidates.csv') as f:
        in_csv = sorted({int(r['generation']) for r in csv.DictReader(f)})
    in_state = sorted({r['generation'] for r in records(tmp_path)})
    assert logged == in_csv == in_state == list(range(loop.num_generations))
