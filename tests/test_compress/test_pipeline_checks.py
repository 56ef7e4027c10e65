"""Bad pipelines are refused before anything runs: one line naming the
stage and key, exit code 2, no work dir written."""
import os
import subprocess
import sys

import pytest

from gml.compress.cli import load_pipeline, main
from gml.utils.errors import ConfigError

from ..test_tools.helpers import ROOT

FLOAT = 'tests/data/compress/tiny_float_digits.py'
QAT = 'tests/data/qat_tiny_digits.py'


def write(tmp_path, stages, extra=''):
    path = tmp_path / 'pipeline.py'
    path.write_text(f'input_shape = (3, 8, 8)\nstages = {stages}\n{extra}')
    return str(path)


def refused(tmp_path, capsys, stages, extra=''):
    work_dir = tmp_path / 'work'
    with pytest.raises(SystemExit) as e:
        main([write(tmp_path, stages, extra), '--work-dir', str(work_dir)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert not work_dir.exists()  # nothing written before the checks
    return err


def test_unknown_stage_type(tmp_path, capsys):
    err = refused(tmp_path, capsys,
                  f"dict(float=dict(type='distil', config='{FLOAT}'))")
    assert "stages.float.type: unknown stage type 'distil'" in err
    assert 'distill' in err  # the types it could have been


def test_consuming_an_output_no_stage_makes(tmp_path, capsys):
    err = refused(tmp_path, capsys, f"""dict(
        float=dict(type='train', config='{FLOAT}'),
        qat=dict(type='qat', config='{QAT}',
                 inputs={{'model.float_checkpoint': 'float.pruning_spec'}}))""")
    assert "stages.qat.inputs.model.float_checkpoint: consumes " \
        "'float.pruning_spec'" in err
    assert "stage 'float' (type 'train') makes only checkpoint, config" in err


def test_consuming_a_stage_that_does_not_exist(tmp_path, capsys):
    err = refused(tmp_path, capsys, f"""dict(
        qat=dict(type='qat', config='{QAT}',
                 inputs={{'model.float_checkpoint': 'teacher.checkpoint'}}))""")
    assert "stages.qat.inputs.model.float_checkpoint" in err
    assert "no stage is named 'teacher'" in err


def test_a_cycle(tmp_path, capsys):
    err = refused(tmp_path, capsys, f"""dict(
        a=dict(type='train', config='{FLOAT}',
               inputs={{'load_from': 'b.checkpoint'}}),
        b=dict(type='train', config='{FLOAT}',
               inputs={{'load_from': 'a.checkpoint'}}))""")
    assert 'stages.a.inputs.load_from' in err
    assert 'cycle: a -> b -> a' in err


def test_missing_checkpoint(tmp_path, capsys):
    err = refused(tmp_path, capsys, f"""dict(
        float=dict(type='checkpoint', config='{FLOAT}',
                   checkpoint='nowhere/epoch_10.pth'))""")
    assert "stages.float.checkpoint: checkpoint 'nowhere/epoch_10.pth' " \
        'does not exist' in err
    err = refused(tmp_path, capsys, f"""dict(
        qat=dict(type='qat', config='{QAT}',
                 options=dict(model=dict(float_checkpoint='gone.pth'))))""")
    assert "stages.qat.options.model.float_checkpoint: checkpoint " \
        "'gone.pth' does not exist" in err


def test_an_export_without_its_checkpoint_wired(tmp_path, capsys):
    err = refused(tmp_path, capsys,
                  f"dict(int8=dict(type='export', config='{QAT}'))")
    assert "stages.int8.inputs.checkpoint: a stage of type 'export' needs" \
        in err


def test_missing_config_and_bad_keys(tmp_path, capsys):
    err = refused(tmp_path, capsys,
                  "dict(float=dict(type='train', config='no/such.py'))")
    assert "stages.float.config: config file 'no/such.py' does not exist" \
        in err
    err = refused(tmp_path, capsys,
                  f"dict(float=dict(type='train', config='{FLOAT}', "
                  "epochs=3))")
    assert 'stages.float.epochs: unknown key' in err
    err = refused(tmp_path, capsys,
                  f"dict(float=dict(type='train', config='{FLOAT}'))",
                  "deploy = 'float'")
    assert "deploy: 'float' is not a stage that makes an int8 ONNX" in err


def test_stages_run_in_dependency_order(tmp_path):
    _, stages, settings = load_pipeline(write(tmp_path, f"""dict(
        int8=dict(type='export', config='{QAT}',
                  inputs=dict(checkpoint='qat.checkpoint')),
        qat=dict(type='qat', config='{QAT}',
                 inputs={{'model.float_checkpoint': 'float.checkpoint'}}),
        float=dict(type='train', config='{FLOAT}'))"""))
    assert [s.name for s in stages] == ['float', 'qat', 'int8']
    assert settings['deploy'] == 'int8'
    with pytest.raises(ConfigError, match='input_shape'):
        load_pipeline(write(tmp_path, f"dict(f=dict(type='train', "
                            f"config='{FLOAT}'))", 'input_shape = 8'))


def test_the_tool_exits_2_with_one_line(tmp_path):
    path = write(tmp_path, f"dict(f=dict(type='prune!', config='{FLOAT}'))")
    proc = subprocess.run(
        [sys.executable, 'tools/compress.py', path, '--work-dir',
         str(tmp_path / 'w')], cwd=ROOT, capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 2
    assert proc.stderr.strip().count('\n') == 0
    assert "stages.f.type: unknown stage type 'prune!'" in proc.stderr


def test_a_failing_stage_stops_with_one_line_naming_it_and_its_log(
        tmp_path):
    path = write(tmp_path, f"""dict(
        float=dict(type='train', config='{FLOAT}',
                   options=dict(train_cfg=dict(max_epochs=0))),
        qat=dict(type='qat', config='{QAT}',
                 inputs={{'model.float_checkpoint': 'float.checkpoint'}}))""")
    work_dir = tmp_path / 'w'
    proc = subprocess.run(
        [sys.executable, 'tools/compress.py', path, '--work-dir',
         str(work_dir)], cwd=ROOT, capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1'))
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert err.count('\n') == 0, err
    log = work_dir / 'float' / 'stage.log'
    assert f"stage 'float': train.py failed (exit 2)" in err
    assert 'train_cfg.max_epochs: got 0' in err  # the tool's own line
    assert err.endswith(f'log: {log}')
    assert 'train_cfg.max_epochs' in log.read_text()
    assert not (work_dir / 'qat').exists()  # nothing downstream ran
