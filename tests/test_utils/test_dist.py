"""A distributed run frees its process group before the interpreter exits.

gloo's worker threads must be joined while Python is alive: one still
releasing a finished collective's tensors at ``Py_FinalizeEx`` cannot take
the GIL, is ended with ``pthread_exit`` and aborts the rank ("terminate
called without an active exception", srun then cancels the step). They are
joined only when the group is freed, so these tests count gloo's threads
(named ``pt_gloo_runloop`` / ``gloo_tcp_loop`` on Linux) after
``destroy_dist``.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
pytestmark = pytest.mark.skipif(not osp.isdir('/proc/self/task'),
                                reason='counts threads through /proc')

ONE_RANK = textwrap.dedent('''
    import os, sys, torch
    import torch.distributed as td
    from gml.utils.dist import destroy_dist, init_dist

    def gloo_threads():
        return sum('gloo' in open(f'/proc/self/task/{t}/comm').read()
                   for t in os.listdir('/proc/self/task'))

    if sys.argv[1] == 'gml':
        init_dist('pytorch')
    else:  # what init_dist replaces
        td.init_process_group('gloo')
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))
    model(torch.randn(3, 2)).sum().backward()
    before = gloo_threads()
    del model  # what ToolSession does with the Runner's model
    destroy_dist()
    print(before, gloo_threads())
''')


def _one_rank(how):
    env = dict(os.environ, RANK='0', WORLD_SIZE='1', LOCAL_RANK='0',
               MASTER_ADDR='127.0.0.1',
               MASTER_PORT=str(22000 + os.getpid() % 20000 +
                               (how == 'gml')),
               CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-c', ONE_RANK, how], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [int(n) for n in proc.stdout.split()[-2:]]


def test_destroy_dist_joins_gloo_threads():
    before, after = _one_rank('gml')
    assert before >= 2 and after == 0


def test_plain_init_keeps_the_group_alive():
    """The control: DDP imports torch.distributed.nn lazily, whose default
    arguments then hold the group. If this fails, torch stopped doing so
    and init_dist's early import can go."""
    before, after = _one_rank('torch')
    assert before >= 2 and after == before


PROBE = textwrap.dedent('''
    import json, os, runpy, sys
    import gml.utils.dist as dist

    destroy = dist.destroy_dist

    def probed(barrier=True):
        rank = os.environ['RANK']
        destroy(barrier)
        names = [open(f'/proc/self/task/{t}/comm').read().strip()
                 for t in os.listdir('/proc/self/task')]
        with open(os.path.join(os.environ['PROBE_DIR'], rank), 'w') as f:
            json.dump([n for n in names if 'gloo' in n], f)

    dist.destroy_dist = probed
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name='__main__')
''')


@pytest.mark.slow
def test_two_rank_training_ends_with_no_gloo_thread(tmp_path):
    """Through tools/train.py: DMCP's DDP wrapper, two gloo ranks."""
    probe = tmp_path / 'probe.py'
    probe.write_text(PROBE)
    (tmp_path / 'out').mkdir()
    env = dict(os.environ, PROBE_DIR=str(tmp_path / 'out'),
               CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         f'--master_port={23000 + os.getpid() % 20000}', str(probe),
         'tools/train.py', 'configs/pruning/dmcp/dmcp_mobilenetv2_digits_f50.py',
         '--launcher', 'pytorch', '--work-dir', str(tmp_path / 'work'),
         '--cfg-options', 'train_dataloader.dataset.indices=64',
         'val_dataloader.dataset.indices=64', 'train_cfg.max_epochs=1'],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    left = {rank: json.loads((tmp_path / 'out' / rank).read_text())
            for rank in ('0', '1')}
    assert left == {'0': [], '1': []}
