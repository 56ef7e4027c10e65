"""gml.engine.dispatch.executors: chunks, order, retries, failure reports."""
import pytest

from gml.engine.dispatch.executors import (ChunkError, InProcessExecutor,
                                         SubmititExecutor, build_executor)
from tests.data.executor_fns import Flaky

NAMES = [f'candidate {i}' for i in range(5)]


def test_in_process_order_retries_and_report(tmp_path):
    fn = Flaky(str(tmp_path), bad={3})
    got = {}
    with pytest.raises(ChunkError) as err:
        InProcessExecutor(chunk_size=2, retries=2).map(
            fn, list(range(5)), names=NAMES, on_result=got.__setitem__,
            progress=False)
    # the other chunks' results were delivered, in order, before the report
    assert got == {0: 0, 1: 1, 4: 16}
    assert [fn.attempts(x) for x in range(5)] == [1, 1, 3, 3, 1]
    assert str(err.value).splitlines() == [
        '1 of 3 chunk(s) failed after every attempt:',
        '  candidate 2, candidate 3: failed 3 time(s): '
        'RuntimeError: cannot compute item 3']
    assert err.value.failures[0].names == ['candidate 2', 'candidate 3']
    assert InProcessExecutor(chunk_size=3).map(
        fn, [0, 1, 2, 4], progress=False) == [0, 1, 4, 16]


def test_bad_settings():
    with pytest.raises(ValueError, match='chunk_size must be >= 1'):
        InProcessExecutor(chunk_size=0)
    with pytest.raises(ValueError, match="type must be one of slurm, local, "
                       "auto, got 'cloud'"):
        build_executor(dict(type='cloud'), '/tmp/x')
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['partitoin'\]"):
        build_executor(dict(type='local', partitoin='debug'), '/tmp/x')
    with pytest.raises(ValueError, match='names must be unique'):
        InProcessExecutor().map(abs, [1, 2], names=['a', 'a'])


@pytest.mark.slow
@pytest.mark.parametrize('cluster', [
    'local', pytest.param('slurm', marks=pytest.mark.slurm)])
def test_failing_job_is_retried_then_reported(tmp_path, cluster):
    fn = Flaky(str(tmp_path), bad={3})
    ex = SubmititExecutor(str(tmp_path / 'jobs'), cluster=cluster,
                          chunk_size=2, max_parallel=2, retries=1,
                          timeout_min=5, poll_s=0.1)
    got = {}
    with pytest.raises(ChunkError) as err:
        ex.map(fn, list(range(5)), names=NAMES, on_result=got.__setitem__)
    assert got == {0: 0, 1: 1, 4: 16}
    assert [fn.attempts(x) for x in range(5)] == [1, 1, 2, 2, 1]
    failure, = err.value.failures
    assert failure.names == ['candidate 2', 'candidate 3']
    assert failure.attempts == 2 and len(set(failure.jobs)) == 2
    assert failure.error == 'RuntimeError: cannot compute item 3'
    assert 'candidate 2, candidate 3: failed 2 time(s) (jobs ' in str(
        err.value)


@pytest.mark.slow
@pytest.mark.slurm
def test_slurm_job_lost_without_result_is_retried(tmp_path):
    """The first job dies by SIGKILL (no result, no Python error): without
    Slurm accounting only squeue can tell it ended."""
    with pytest.raises(ValueError, match="Slurm has no partition 'nope' "
                       r'\(sinfo lists: '):
        SubmititExecutor(str(tmp_path / 'jobs'), cluster='slurm',
                         partition='nope')
    fn = Flaky(str(tmp_path), lost={1})
    ex = SubmititExecutor(str(tmp_path / 'jobs'), cluster='slurm',
                          partition='debug', chunk_size=2, retries=1,
                          timeout_min=5, poll_s=0.2)
    assert ex.map(fn, [0, 1, 2], names=NAMES[:3]) == [0, 1, 4]
    assert [fn.attempts(x) for x in range(3)] == [2, 2, 1]
