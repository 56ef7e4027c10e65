"""The tiny chain (float -> QAT -> int8 ONNX) through tools/compress.py.

One uninterrupted run (``base``) feeds the checks of its outputs; copies of
its work dir then take the changed-QAT run and the killed-and-resumed run,
which must end with the same int8 model.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ..chromium import chromium, dom_text
from ..test_tools.helpers import ROOT, run_tool

pytestmark = pytest.mark.slow
PIPELINE = 'tests/data/compress/tiny_pipeline.py'
ENV = dict(OMP_NUM_THREADS='1')
QAT_EPOCHS = 'stages.qat.options.train_cfg.max_epochs=3'
STAGES = ['float', 'qat', 'int8']


def compress(work_dir, *options):
    args = ['--cfg-options', *options] if options else []
    return run_tool('compress.py', PIPELINE, '--work-dir', work_dir, *args,
                    env=ENV)


def ran(proc):
    return [line.split()[2] for line in proc.stdout.splitlines()
            if line.startswith('[run ]')]


@pytest.fixture(scope='module')
def base(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('compress') / 'base')
    proc = compress(work_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert ran(proc) == STAGES
    return work_dir


def popen_compress(work_dir, *options, **kwargs):
    cmd = [sys.executable, 'tools/compress.py', PIPELINE, '--work-dir',
           work_dir, '--cfg-options', *options]
    return subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, **ENV),
                            text=True, **kwargs)


@pytest.fixture(scope='module')
def changed_qat(base, tmp_path_factory):
    """``base`` rerun with 3 QAT epochs instead of 1, uninterrupted; beside
    it (one thread each on the CI's two cores) a second copy given the same
    change, SIGKILLed in its QAT stage, looked at, and run again."""
    root = tmp_path_factory.mktemp('compress')
    work_dir, killed = str(root / 'changed'), str(root / 'killed')
    shutil.copytree(base, work_dir)
    shutil.copytree(base, killed)
    straight = popen_compress(work_dir, QAT_EPOCHS, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        tools = kill_in_qat(killed)
        after_kill = dict(
            tools=tools, alive=[p for p in tools if _alive(p)],
            state=json.load(open(os.path.join(killed,
                                              'compress_state.json'))),
            epoch_3=os.path.exists(os.path.join(killed, 'qat',
                                                'epoch_3.pth')))
        again = compress(killed, QAT_EPOCHS)
        out, err = straight.communicate(timeout=600)
    finally:
        if straight.poll() is None:
            straight.kill()
    proc = subprocess.CompletedProcess(straight.args, straight.returncode,
                                       out, err)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work_dir, proc, killed, after_kill, again


def summary(work_dir):
    with open(os.path.join(work_dir, 'summary.json')) as f:
        return json.load(f)


def test_end_to_end_writes_int8_onnx_and_the_report(base):
    from gml.deploy import describe
    s = summary(base)
    assert [r['name'] for r in s['stages']] == STAGES
    keys = {'name', 'status', 'config', 'checkpoint', 'top1', 'params',
            'flops', 'size_bytes', 'latency_ms'}
    assert all(set(r) == keys for r in s['stages'])
    assert set(s['deploy']) == {'onnx', 'config', 'top1'}
    onnx = os.path.join(base, 'deploy', 'model_int8.onnx')
    assert s['deploy']['onnx'] == onnx
    info = describe(onnx)
    assert info['int8'] and info['metadata']['method'] == 'qat'
    pre = json.load(open(os.path.join(base, 'deploy', 'preprocessing.json')))
    assert pre['mean'] == [40.0] * 3 and pre['input_shape'] == [3, 8, 8]
    float_row, qat_row, int8_row = s['stages']
    assert all(r['status'] == 'done' for r in s['stages'])
    # the same network, counted on its fp32 and its int8 graph alike
    assert float_row['params'] == int8_row['params'] > 10_000
    assert float_row['flops'] == int8_row['flops'] > 0
    assert int8_row['size_bytes'] < float_row['size_bytes']
    for row in (float_row, int8_row):
        assert all(row['latency_ms'][b] > 0 for b in ('b1', 'b64'))
    assert qat_row['top1'] is not None and qat_row['size_bytes'] is None
    for name in ('report.md', 'report.html'):
        assert os.path.getsize(os.path.join(base, name)) > 500
    for stage in STAGES:  # each stage's command, config and log
        for f in ('command.sh', 'stage_config.py', 'stage.log'):
            assert os.path.isfile(os.path.join(base, stage, f)), (stage, f)


def test_every_intermediate_model_is_testable_alone(base):
    s = summary(base)
    row = s['stages'][0]
    out = os.path.join(base, 'float_again.json')
    proc = run_tool('test.py', row['config'], row['checkpoint'], '--out',
                    out, env=ENV)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.load(open(out))['accuracy/top1'] == row['top1']


def test_report_int8_accuracy_equals_tools_test(base):
    s = summary(base)
    out = os.path.join(base, 'int8_again.json')
    proc = run_tool('test.py', s['deploy']['config'], s['deploy']['onnx'],
                    '--backend', 'onnxruntime', '--out', out, env=ENV)
    assert proc.returncode == 0, proc.stderr[-2000:]
    top1 = json.load(open(out))['accuracy/top1']
    assert top1 == s['deploy']['top1'] == s['stages'][-1]['top1']


def test_a_rerun_runs_nothing(base):
    before = {p: os.stat(os.path.join(base, p)).st_mtime_ns
              for p in ('summary.json', 'report.html',
                        'deploy/model_int8.onnx', 'qat/epoch_1.pth')}
    proc = compress(base)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert ran(proc) == []
    assert proc.stdout.count('[skip]') == len(STAGES) + 1
    after = {p: os.stat(os.path.join(base, p)).st_mtime_ns for p in before}
    assert after == before


def test_changing_qat_epochs_reruns_only_qat_and_export(base, changed_qat):
    work_dir, proc, *_ = changed_qat
    assert ran(proc) == ['qat', 'int8']
    assert '[skip] float: unchanged' in proc.stdout
    assert sorted(os.listdir(os.path.join(work_dir, 'qat'))).count(
        'epoch_3.pth') == 1
    # float's model was not touched: the copied file is still there
    assert os.path.isfile(os.path.join(work_dir, 'float', 'epoch_2.pth'))
    assert summary(work_dir)['stages'][0]['top1'] == \
        summary(base)['stages'][0]['top1']


def _children(pid):
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat') as f:
                    if int(f.read().rsplit(')', 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def _alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def _initializers(path):
    import onnx
    from onnx import numpy_helper
    return {i.name: numpy_helper.to_array(i)
            for i in onnx.load(path).graph.initializer}


def kill_in_qat(work_dir):
    """Run the changed pipeline in ``work_dir`` and SIGKILL it (the pipeline
    process alone) once QAT's first epoch is saved; the tools it ran."""
    proc = popen_compress(work_dir, QAT_EPOCHS, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    marker = os.path.join(work_dir, 'qat', 'last_checkpoint')
    # the copy's marker names base's checkpoint until the rerun rewrites it
    epoch_1 = os.path.join(work_dir, 'qat', 'epoch_1.pth')
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if os.path.isfile(marker) and open(marker).read().strip() == epoch_1:
            break
        time.sleep(0.05)
    assert proc.poll() is None, 'the pipeline ended before the kill'
    tools = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while any(os.path.exists(f'/proc/{p}') for p in tools) and \
            time.time() < deadline:
        time.sleep(0.1)
    return tools


def test_sigkill_mid_stage_resumes_to_the_same_final_model(changed_qat):
    straight_dir, _, work_dir, after_kill, again = changed_qat
    assert after_kill['tools']  # the QAT stage's tools/train.py
    # its tool died with it: nothing kept writing into the work dir
    assert not after_kill['alive']
    assert after_kill['state']['stages']['qat']['status'] == 'running'
    assert not after_kill['epoch_3']

    assert again.returncode == 0, again.stderr[-3000:]
    assert ran(again) == ['qat', 'int8']
    assert 'qat (qat) resuming from its last checkpoint' in again.stdout
    log = open(os.path.join(work_dir, 'qat', 'stage.log')).read()
    assert 'resumed epoch: 1' in log or 'resumed epoch: 2' in log
    resumed = _initializers(os.path.join(work_dir, 'deploy',
                                         'model_int8.onnx'))
    straight = _initializers(os.path.join(straight_dir, 'deploy',
                                          'model_int8.onnx'))
    assert resumed.keys() == straight.keys()
    for name, value in straight.items():
        if value.dtype.kind == 'f':
            np.testing.assert_allclose(resumed[name], value, atol=1e-6,
                                       err_msg=name)
        else:
            np.testing.assert_array_equal(resumed[name], value,
                                          err_msg=name)


@pytest.mark.skipif(shutil.which('chromium') is None,
                    reason="no chromium on PATH; .ci/run installs Debian's "
                    'chromium package')
def test_report_page_renders_in_chromium(base, tmp_path):
    shot = tmp_path / 'report.png'
    page = 'file://' + os.path.join(base, 'report.html')
    dom = chromium(page, tmp_path, '--dump-dom', f'--screenshot={shot}')
    text = dom_text(dom)
    s = summary(base)
    for row in s['stages']:
        assert row['name'] in text
    int8 = s['stages'][-1]
    assert f'{int8["top1"]:.2f}' in text
    assert dom.count('<circle') == 4  # float and int8 in both plots
    assert 'top-1 vs size' in text and 'top-1 vs latency' in text
    assert 'href="qat/stage.log"' in dom
    with open(shot, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    from PIL import Image
    pixels = np.asarray(Image.open(shot).convert('L'))
    assert (pixels < 128).mean() > 0.005  # text and plots, not blank
    keep = os.environ.get('GML_TEST_ARTIFACTS')
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(shot, os.path.join(keep, 'compress_report.png'))
