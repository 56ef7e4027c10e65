"""QAT and PTQ through the tools, to int8 ONNX run by onnxruntime.

One QAT run of the tiny digits ResNet (tests/data/qat_tiny_digits.py)
through tools/train.py feeds the checks: resuming it mid-way reproduces it,
tools/quantization/export.py writes int8 QDQ ONNX that onnxruntime runs
with integer kernels, matching the fake-quant model, and tools/test.py
--backend onnxruntime measures its top-1 within 1 point of the float
model's.
"""
import json
import os
import runpy
import shutil

import pytest
import torch

from gml.deploy import describe, evaluate_onnx, ort_session
from gml.models.algorithms.quantization import load_float_checkpoint
from gml.registry import MODELS

from ..test_models.test_quantizers.tiny_qat import (TINY_CFG, accuracy,
                                                    float_checkpoint, loader,
                                                    tiny_config)
from .helpers import ROOT, checkpoints, run_tool

pytestmark = pytest.mark.slow
ENV = dict(OMP_NUM_THREADS='1')
# epoch 0 adapts ranges and BN statistics, epoch 1 trains with both frozen
QAT_OPTIONS = ['train_cfg.max_epochs=2', 'algorithm.freeze_observer_epoch=1',
               'algorithm.freeze_bn_epoch=1',
               'default_hooks.logger.interval=10']
CONVS = 10  # stem, 2 x 2 blocks x 2, one downsample


def tool_main(script):
    """A tool's ``main`` run in this process (bad-input paths are cheap)."""
    return runpy.run_path(os.path.join(ROOT, 'tools', script),
                          run_name='tool')['main']


def train_qat(work_dir, *extra):
    return run_tool('train.py', TINY_CFG, '--work-dir', work_dir,
                    *extra, '--cfg-options',
                    f'algorithm.float_checkpoint={float_checkpoint()}',
                    *QAT_OPTIONS, env=ENV)


@pytest.fixture(scope='module')
def qat_dir(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('qat'))
    proc = train_qat(work_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work_dir


@pytest.fixture(scope='module')
def qat_onnx(qat_dir):
    out = os.path.join(qat_dir, 'qat.onnx')
    proc = run_tool('quantization/export.py', TINY_CFG,
                    os.path.join(qat_dir, 'epoch_2.pth'), '--out', out,
                    env=ENV)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'int8-qdq' in proc.stdout
    return out


@pytest.fixture(scope='module')
def float_top1():
    model = MODELS.build(tiny_config().model.model)
    load_float_checkpoint(model, float_checkpoint(), 'test')
    return accuracy(model)


def test_resume_mid_qat_reproduces_the_uninterrupted_run(qat_dir, tmp_path):
    log = open(_log(qat_dir)).read()
    assert 'quantization ranges frozen from epoch 1' in log
    assert 'batch-norm statistics frozen from epoch 1' in log
    work_dir = str(tmp_path)
    shutil.copy(os.path.join(qat_dir, 'epoch_1.pth'), work_dir)
    with open(os.path.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(os.path.join(work_dir, 'epoch_1.pth'))
    proc = train_qat(work_dir, '--resume')
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert 'resumed epoch: 1' in out
    # the resumed run freezes again what the checkpoint's epoch had frozen
    assert 'batch-norm statistics frozen from epoch 1' in out
    assert checkpoints(work_dir) == ['epoch_1.pth', 'epoch_2.pth']
    resumed = _state(os.path.join(work_dir, 'epoch_2.pth'))
    straight = _state(os.path.join(qat_dir, 'epoch_2.pth'))
    assert resumed.keys() == straight.keys()
    for key, value in straight.items():
        assert torch.allclose(resumed[key].float(), value.float(),
                              atol=1e-6), key


def test_exported_onnx_is_int8_and_matches_fake_quant(qat_dir, qat_onnx,
                                                      tmp_path):
    info = describe(qat_onnx)
    assert info['int8'] and info['metadata']['method'] == 'qat'
    assert info['ops']['QuantizeLinear'] > 0
    assert info['ops']['DequantizeLinear'] > 0
    assert info['int8_weights'] == CONVS + 1  # every weight, in int8
    # onnxruntime runs every conv as an integer kernel
    import onnx
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / 'optimized.onnx')
    options.graph_optimization_level = \
        ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    ort.InferenceSession(qat_onnx, options,
                         providers=['CPUExecutionProvider'])
    ops = [n.op_type for n in onnx.load(
        options.optimized_model_filepath).graph.node]
    assert ops.count('QLinearConv') == CONVS and 'Conv' not in ops
    # real int8 execution vs PyTorch's fake quantization on the test split
    fake = MODELS.build(tiny_config().model)
    fake.load_state_dict(_state(os.path.join(qat_dir, 'epoch_2.pth')))
    fake.eval()
    session = ort_session(qat_onnx, threads=1)
    ours, theirs = [], []
    with torch.no_grad():
        for batch in loader('test', 128):
            x = fake.data_preprocessor(batch, False)['inputs']
            ours.append(fake(x))
            theirs.append(torch.from_numpy(
                session.run(None, {'input': x.numpy()})[0]))
    ours, theirs = torch.cat(ours), torch.cat(theirs)
    # int8 tolerance: two quantization steps of every input of the linear
    # head, times its weights (rounding of intermediate results may flip)
    graph = fake.architecture
    (linear, ) = [n for n in graph.graph.nodes
                  if n.target is torch.ops.aten.linear.default]
    step = float(graph.get_submodule(linear.args[0].target).scale)
    weight = graph.get_parameter('head.fc.weight').abs().sum(1).max()
    diff = (ours - theirs).abs()
    assert diff.max() <= 2 * step * weight, (diff.max(), step * weight)
    assert diff.mean() <= 0.25 * step * weight
    assert (ours.argmax(1) == theirs.argmax(1)).float().mean() >= 0.99


def test_onnxruntime_top1_within_a_point_of_float(qat_onnx, float_top1,
                                                  tmp_path):
    out = tmp_path / 'metrics.json'
    proc = run_tool('test.py', TINY_CFG, qat_onnx, '--backend',
                    'onnxruntime', '--out', out, env=ENV)
    assert proc.returncode == 0, proc.stderr[-3000:]
    top1 = json.loads(out.read_text())['accuracy/top1']
    assert float_top1 >= 90
    assert top1 >= float_top1 - 1.0, (top1, float_top1)


def test_ptq_calibrates_and_writes_int8(tmp_path, float_top1, capsys):
    out = str(tmp_path / 'ptq.onnx')
    tool_main('quantization/ptq.py')([TINY_CFG, float_checkpoint(), '--out',
                                      out, '--calib-batches', '8'])
    assert 'calibrated on 8 batches' in capsys.readouterr().out
    info = describe(out)
    assert info['int8'] and info['metadata']['method'] == 'ptq'
    assert info['int8_weights'] == CONVS + 1
    top1 = evaluate_onnx(tiny_config(), out)['accuracy/top1']
    assert top1 >= float_top1 - 3.0, (top1, float_top1)


def test_float_export_runs_at_float_accuracy(tmp_path, float_top1):
    out = str(tmp_path / 'fp32.onnx')
    tool_main('quantization/export.py')([TINY_CFG, float_checkpoint(),
                                         '--float', '--out', out])
    info = describe(out)
    assert not info['int8'] and info['int8_weights'] == 0
    top1 = evaluate_onnx(tiny_config(), out)['accuracy/top1']
    assert top1 == pytest.approx(float_top1, abs=0.3)


@pytest.mark.parametrize('script, args, expected', [
    ('quantization/export.py', ['{float}', '--out', '{tmp}/x.onnx'],
     'is a float checkpoint (no fake-quant state), not a QAT one'),
    ('quantization/export.py', ['{qat}', '--float', '--out', '{tmp}/x.onnx'],
     'is a QAT checkpoint (it holds fake-quant state), not a float model'),
    ('quantization/ptq.py', ['{qat}', '--out', '{tmp}/x.onnx'],
     'is a QAT checkpoint (it holds fake-quant state), not a float model'),
    ('test.py', ['{onnx}'], 'is an ONNX model: run it with --backend '
     'onnxruntime'),
    ('test.py', ['{onnx}', '--backend', 'onnxruntime', '--launcher',
                 'pytorch'], 'runs in one process; drop --launcher'),
    ('test.py', ['{qat}', '--backend', 'onnxruntime'],
     '--backend onnxruntime runs .onnx models'),
    ('quantization/export.py', ['{tmp}/missing.pth', '--out', '{tmp}/x'],
     'does not exist'),
])
def test_wrong_kind_of_model_is_one_line_exit_2(script, args, expected,
                                                qat_dir, qat_onnx, tmp_path,
                                                capsys):
    paths = dict(float=float_checkpoint(), tmp=str(tmp_path), onnx=qat_onnx,
                 qat=os.path.join(qat_dir, 'epoch_2.pth'))
    with pytest.raises(SystemExit) as e:
        tool_main(script)([TINY_CFG] + [a.format(**paths) for a in args])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and '\n' not in err, err
    assert os.listdir(tmp_path) == []  # nothing written


def test_qat_checkpoint_as_float_checkpoint_is_refused(qat_dir, tmp_path,
                                                       capsys):
    qat_ckpt = os.path.join(qat_dir, 'epoch_2.pth')
    with pytest.raises(SystemExit) as e:
        tool_main('train.py')([TINY_CFG, '--work-dir', str(tmp_path),
                               '--cfg-options',
                               f'algorithm.float_checkpoint={qat_ckpt}'])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert 'is a QAT checkpoint' in err and '--resume' in err, err
    assert os.listdir(tmp_path) == []  # the failed start left nothing


def _state(path):
    return torch.load(path, map_location='cpu')['state_dict']


def _log(work_dir):
    (run, ) = [d for d in os.listdir(work_dir)
               if os.path.isdir(os.path.join(work_dir, d))]
    return os.path.join(work_dir, run, f'{run}.log')
