"""The per-op latency table against whole-subnet timings, and its cache."""
import json
import random

import pytest
import torch

from gml.engine.estimators.latency import LatencyTable, standalone_subnet
from tests.test_engine.pareto_helpers import build_supernet

#: the stated accuracy of the table's whole-subnet latency (mean |relative
#: error| over a sample of random subnets); measured 3-17 % on this tiny,
#: overhead-bound model with the machine's 2 cores loaded 6x, ~1 % on the
#: digits supernet (configs/nas/pareto/README.md)
MAX_MEAN_ERROR = 0.25
FAST = dict(warmup=3, repeats=5, rounds=4, calibrate_subnets=2)


@pytest.fixture(scope='module')
def spos():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the thread clock: immune to others' load
    yield build_supernet()
    torch.set_num_threads(threads)


@pytest.mark.parametrize('runtime', ['onnxruntime', 'pytorch'])
def test_table_predicts_whole_subnet_latency(spos, runtime):
    arch, mutator = spos.architecture, spos.mutator
    # the check subnets are timed as whole standalone networks in the same
    # rounds as the ops (a load change between two separate measurements
    # made this comparison fail under load) and are not the calibration ones
    table = LatencyTable.measure(arch, mutator, (3, 8, 8), batch_size=1,
                                 check_subnets=4, seed=1, runtime=runtime,
                                 **FAST)
    assert table.meta['clock'] == 'thread'
    assert table.meta['runtime'] == runtime
    assert ('onnxruntime' in table.meta) == (runtime == 'onnxruntime')
    assert set(table.op_ms) == set(mutator.search_space)
    assert all(t > 0 for ops in table.op_ms.values() for t in ops.values())
    assert len(table.check) == 4
    assert all(c['measured_ms'] > 0 for c in table.check)
    errors = [abs(e) for e in table.check_errors]
    assert sum(errors) / len(errors) <= MAX_MEAN_ERROR, errors
    rng = random.Random(123)
    subnets = [mutator.sample_choices(rng) for _ in range(4)]
    models = [standalone_subnet(arch, mutator, s) for s in subnets]
    # the standalone copies really are the subnets, the supernet untouched
    for s, m in zip(subnets, models):
        assert not any(n.endswith(f'_candidates.{c}')
                       for n, _ in m.named_modules()
                       for b, chosen in s.items() for c in
                       mutator.search_space[b] if c != chosen
                       and n.startswith(b))
    assert mutator.current_choices == mutator.default_choices()


def test_cache_reused_and_mismatch_refused(spos, tmp_path):
    path = str(tmp_path / 'lut.json')
    arch, mutator = spos.architecture, spos.mutator
    table, measured = LatencyTable.load_or_measure(
        path, arch, mutator, (3, 8, 8), 1, check_subnets=2, **FAST)
    assert measured and len(table.check) == 2
    again, measured = LatencyTable.load_or_measure(path, arch, mutator,
                                                   (3, 8, 8), 1)
    assert not measured and again.to_dict() == table.to_dict()
    sub = mutator.sample_choices(random.Random(0))
    assert again.predict(sub) == pytest.approx(
        table.fixed_ms + sum(table.op_ms[n][c] for n, c in sub.items()))
    with pytest.raises(ValueError, match='batch_size'):
        LatencyTable.load_or_measure(path, arch, mutator, (3, 8, 8), 4)
    with pytest.raises(ValueError, match='input_shape'):
        LatencyTable.load_or_measure(path, arch, mutator, (3, 16, 16), 1)
    data = json.loads(open(path).read())
    data['meta']['threads'] = 64
    open(path, 'w').write(json.dumps(data))
    with pytest.raises(ValueError, match="threads: file 64, this run 1"):
        LatencyTable.load_or_measure(path, arch, mutator, (3, 8, 8), 1)


def test_runtimes_differ_and_old_tables_are_pytorch(spos, tmp_path):
    """The default table times onnxruntime sessions, not eager PyTorch: on
    this tiny net eager PyTorch's per-op dispatch makes every subnet several
    times slower. A table saved before the runtime key was eager PyTorch:
    it still serves ``runtime='pytorch'`` and is refused, naming the
    runtime, by the onnxruntime default."""
    arch, mutator = spos.architecture, spos.mutator
    path = str(tmp_path / 'lut.json')
    eager, _ = LatencyTable.load_or_measure(
        path, arch, mutator, (3, 8, 8), 1, runtime='pytorch',
        check_subnets=1, **FAST)
    ort = LatencyTable.measure(arch, mutator, (3, 8, 8), 1, check_subnets=1,
                               **FAST)
    assert ort.range_ms[1] < eager.range_ms[0], (ort.range_ms,
                                                 eager.range_ms)
    data = json.loads(open(path).read())
    del data['meta']['runtime']
    open(path, 'w').write(json.dumps(data))
    old, measured = LatencyTable.load_or_measure(path, arch, mutator,
                                                 (3, 8, 8), 1,
                                                 runtime='pytorch')
    assert not measured and old.op_ms == eager.op_ms
    with pytest.raises(ValueError, match="runtime: file 'pytorch', this "
                       "run 'onnxruntime'"):
        LatencyTable.load_or_measure(path, arch, mutator, (3, 8, 8), 1)
    with pytest.raises(ValueError, match='runtime must be one of'):
        LatencyTable.measure(arch, mutator, (3, 8, 8), 1, runtime='tvm')


def test_training_step_table(spos):
    """mode='train' times forward + backward (BN in train mode) per op and
    checks the sum against whole subnets' training steps; the supernet is
    left as it was (no gradients, no moved BN statistics)."""
    arch, mutator = spos.architecture, spos.mutator
    before = {k: v.clone() for k, v in arch.state_dict().items()}
    train = LatencyTable.measure(arch, mutator, (3, 8, 8), 16,
                                 check_subnets=3, runtime='pytorch',
                                 mode='train', **FAST)
    infer = LatencyTable.measure(arch, mutator, (3, 8, 8), 16,
                                 check_subnets=1, runtime='pytorch', **FAST)
    assert train.meta['mode'] == 'train' and infer.meta['mode'] == 'inference'
    errors = [abs(e) for e in train.check_errors]
    assert sum(errors) / len(errors) <= MAX_MEAN_ERROR, errors
    # a backward costs more than the forward alone
    assert train.range_ms[0] > infer.range_ms[1]
    assert all(torch.equal(before[k], v) for k, v in arch.state_dict().items())
    assert all(p.grad is None for p in arch.parameters())
    with pytest.raises(ValueError, match="timed in runtime='pytorch'"):
        LatencyTable.measure(arch, mutator, (3, 8, 8), 1, mode='train')
