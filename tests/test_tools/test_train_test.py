"""tools/train.py and tools/test.py end to end on the embedded digits."""
import os

import pytest
import torch

from .helpers import DIGITS_CFG, checkpoints, run_tool, val_accuracies

# 3 epochs of the cosine schedule: enough for >= 90 % val on the digits.
SHORT = ['train_cfg.max_epochs=3']


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('digits'))
    proc = run_tool('train.py', DIGITS_CFG, '--work-dir', work_dir,
                    '--cfg-options', *SHORT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work_dir


@pytest.mark.slow
def test_train_reaches_90_percent_and_saves(trained):
    accs = val_accuracies(trained)
    assert sorted(accs) == [1, 2, 3]
    assert accs[3] >= 90.0, accs
    assert 'epoch_3.pth' in checkpoints(trained)


@pytest.mark.slow
def test_test_tool_reproduces_val_metric(trained, tmp_path):
    """The old toolbox's command: WORK_DIR/latest.pth (resolved through
    mmengine's last_checkpoint) and --eval with its metric names."""
    assert not os.path.exists(os.path.join(trained, 'latest.pth'))
    out = tmp_path / 'metrics.json'
    proc = run_tool('test.py', DIGITS_CFG, os.path.join(trained, 'latest.pth'),
                    '--work-dir', str(tmp_path), '--out', out,
                    '--eval', 'accuracy', 'precision',
                    '--cfg-options', 'test_dataloader.dataset.split=val')
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json
    metrics = json.loads(out.read_text())
    assert metrics['accuracy/top1'] == pytest.approx(
        val_accuracies(trained)[3], abs=1e-6)
    assert 0 < metrics['single-label/precision'] <= 100
    assert 'Test metrics:' in proc.stdout


@pytest.mark.slow
def test_resume_continues_from_last_checkpoint(trained, tmp_path):
    import shutil
    work_dir = str(tmp_path / 'resume')
    shutil.copytree(trained, work_dir)
    proc = run_tool('train.py', DIGITS_CFG, '--work-dir', work_dir,
                    '--resume', os.path.join(work_dir, 'latest.pth'),
                    '--cfg-options', 'train_cfg.max_epochs=4')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'resumed' in (proc.stdout + proc.stderr).lower()
    ckpt = torch.load(os.path.join(work_dir, 'epoch_4.pth'), map_location='cpu')
    first = torch.load(os.path.join(work_dir, 'epoch_3.pth'), map_location='cpu')
    assert ckpt['meta']['epoch'] == 4
    # one more epoch of iterations on top of the resumed ones, not four
    iters_per_epoch = first['meta']['iter'] // 3
    assert ckpt['meta']['iter'] == first['meta']['iter'] + iters_per_epoch


@pytest.mark.slow
def test_cfg_options_change_nested_values(tmp_path):
    proc = run_tool('train.py', DIGITS_CFG, '--work-dir', tmp_path,
                    '--cfg-options', 'train_cfg.max_epochs=1',
                    'model.head.num_classes=12',
                    'model.data_preprocessor.num_classes=12',
                    'train_dataloader.dataset.indices=64',
                    'val_dataloader.dataset.indices=32')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert checkpoints(tmp_path) == ['epoch_1.pth']
    state = torch.load(tmp_path / 'epoch_1.pth', map_location='cpu')
    assert state['state_dict']['head.fc.weight'].shape[0] == 12


@pytest.mark.parametrize('args,words', [
    (['configs/does/not/exist.py'], ['exist.py', 'does not exist']),
    ([DIGITS_CFG, '--cfg-options', 'train_cfg.max_epochs'],
     ['train_cfg.max_epochs', 'KEY=VALUE']),
    ([DIGITS_CFG, '--cfg-options', 'train_cfg.max_epochs=[1,'],
     ['malformed value']),
    ([DIGITS_CFG, '--resume', 'missing.pth'], ['missing.pth']),
])
@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_bad_input_one_line_exit_2_nothing_written(tool, args, words,
                                                   tmp_path):
    if tool == 'test.py':
        if '--resume' in args:
            args = [DIGITS_CFG, 'missing.pth']
        else:
            args = args[:1] + ['ckpt.pth'] + args[1:]
            ckpt = tmp_path / 'ckpt.pth'
            ckpt.write_bytes(b'')
            args[1] = str(ckpt)
    work_dir = tmp_path / 'wd'
    proc = run_tool(tool, *args, '--work-dir', work_dir, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0]
    assert not work_dir.exists()
