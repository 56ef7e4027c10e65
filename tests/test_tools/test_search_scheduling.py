"""Parallel candidate scoring end to end: tools/search.py on the digits.

Every run searches the same tiny supernet with the same seed (2 generations
of 4 candidates, 64 validation images) and must give the records and best
subnet of the one-process run: on 2 ranks, through Slurm jobs, and after a
kill and --resume of a dispatched search.
"""
import csv
import glob
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.data.tiny_supernet import CONFIG, train_tiny_supernet

pytestmark = pytest.mark.slow
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable)


@pytest.fixture(scope='module')
def supernet(tmp_path_factory):
    return train_tiny_supernet(str(tmp_path_factory.mktemp('ckpt') /
                                   'supernet.pth'))


def search_cmd(ckpt, work_dir, *opts, resume=False):
    return [sys.executable, 'tools/search.py', CONFIG, ckpt, '--work-dir',
            str(work_dir), *(['--resume'] if resume else []),
            *(['--cfg-options', *opts] if opts else [])]


def run(cmd, env=ENV):
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout + proc.stderr


def result(work_dir):
    """(candidates.csv rows, best_subnet.yaml text)."""
    with open(osp.join(work_dir, 'candidates.csv')) as f:
        rows = list(csv.DictReader(f))
    with open(osp.join(work_dir, 'best_subnet.yaml')) as f:
        return rows, f.read()


@pytest.fixture(scope='module')
def reference(supernet, tmp_path_factory):
    """The one-process, in-process search."""
    work_dir = tmp_path_factory.mktemp('one_process')
    run(search_cmd(supernet, work_dir))
    rows, best = result(work_dir)
    assert len(rows) == 8
    # candidates score apart: the comparisons below can fail
    assert len({r['score'] for r in rows}) >= 5
    return rows, best


def executor_opt(cluster, **kw):
    args = ','.join(f'{k}={v!r}' for k, v in kw.items())
    return f"train_cfg.executor=dict(type='{cluster}',{args})"


def test_two_ranks_equal_one(supernet, reference, tmp_path):
    out = run(['bash', 'tools/dist_search.sh', CONFIG, supernet, '2',
               '--work-dir', str(tmp_path)],
              env=dict(ENV, PORT=str(21000 + os.getpid() % 20000)))
    assert 'GPU number: 2' in out  # mmengine's name for the world size
    # each rank scored 2 of each generation's 4 candidates
    assert re.search(r'2/2, .*task/s', out)
    assert result(tmp_path) == reference


@pytest.mark.slurm
def test_slurm_jobs_equal_in_process(supernet, reference, tmp_path):
    out = run(search_cmd(supernet, tmp_path, executor_opt(
        'slurm', partition='debug', chunk_size=2, max_parallel=2,
        timeout_min=10)))
    assert result(tmp_path) == reference
    assert len(re.findall(r'by slurm job \d+', out)) == 4  # 2 x 2 chunks
    assert scored_counts(tmp_path) == Counter(range(8))


def scored_counts(work_dir):
    """How many times each candidate was scored, from the jobs' logs."""
    counts = Counter()
    for log in glob.glob(osp.join(work_dir, 'search_jobs', '*_log.out')):
        with open(log) as f:
            counts.update(int(m) for m in re.findall(
                r'^scored candidate (\d+):', f.read(), re.M))
    return counts


@pytest.mark.parametrize('cluster', [
    'local', pytest.param('slurm', marks=pytest.mark.slurm)])
def test_killed_dispatched_search_resumes(supernet, reference, tmp_path,
                                          cluster):
    opts = [executor_opt(cluster, chunk_size=2, max_parallel=1,
                         timeout_min=10)]
    proc = subprocess.Popen(search_cmd(supernet, tmp_path, *opts), cwd=ROOT,
                            env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    gen = tmp_path / 'search_pending' / 'gen_0'
    deadline = time.time() + 300
    # kill once candidates 0-1 are saved and the job of 2-3 is in flight
    while time.time() < deadline and proc.poll() is None:
        jobs = gen / 'jobs.json'
        if (gen / '1.json').is_file() and jobs.is_file() and any(
                j['items'] == ['candidate 2', 'candidate 3']
                for j in json.loads(jobs.read_text())['jobs']):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert sorted(os.listdir(gen)) == ['0.json', '1.json', 'jobs.json'], (
        'not killed with one chunk done and one in flight')

    # the resumed search may chunk differently (one job for generation 2)
    out = run(search_cmd(supernet, tmp_path, executor_opt(
        cluster, chunk_size=4, timeout_min=10), resume=True))
    assert 'in generation 0 (4 candidates proposed)' in out
    assert '2 of 4 candidates were scored before the restart' in out
    assert re.search(rf'reattached to {cluster} job \d+ \(candidate 2, '
                     r'candidate 3\)', out)
    assert scored_counts(tmp_path) == Counter(range(8))  # each once
    assert result(tmp_path) == reference
