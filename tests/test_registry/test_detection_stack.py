"""A core install (mmcv-lite, no mmdet) refuses detection configs in one
line naming the command that installs the detection stack."""
import os
import subprocess
import sys

import pytest

from gml.utils.errors import ConfigError
from gml.registry.scopes import missing_detection_stack, normalize_scopes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DET_CFG = ('configs/kd/factor_transfer/detection/yolov3/'
           'ftloss_yolov3_mobilenetv2_320_300e_coco_teacher_d53_neck_'
           'pretrain.py')


@pytest.mark.parametrize('blocked, found', [
    ('mmdet', 'mmdet is not installed'),
    ('mmcv._ext', 'mmcv has no compiled ops'),
])
def test_missing_part_is_named(blocked, found, monkeypatch):
    # sys.modules[name] = None is how Python marks a module as unimportable:
    # importlib.util.find_spec then returns None, as for a core install.
    monkeypatch.setitem(sys.modules, blocked, None)
    assert found in missing_detection_stack()
    with pytest.raises(ConfigError) as err:
        normalize_scopes(dict(type='mmdet.YOLOV3', backbone=dict(
            type='MobileNetV2')))
    message = str(err.value)
    assert "type='mmdet.YOLOV3'" in message and found in message
    assert 'make install-detection' in message and '\n' not in message


def test_core_types_need_no_detection(monkeypatch):
    monkeypatch.setitem(sys.modules, 'mmdet', None)
    cfg = normalize_scopes(dict(type='mmpretrain.ImageClassifier'))
    assert cfg['_scope_'] == 'mmpretrain'


def test_detection_config_on_a_core_install_is_one_line(tmp_path):
    """tools/train.py on the seed's YOLOv3 KD config, with mmcv._ext made
    unimportable (what mmcv-lite gives): exit 2, one line, nothing written."""
    site = tmp_path / 'site'
    site.mkdir()
    (site / 'sitecustomize.py').write_text(
        "import sys\nsys.modules['mmcv._ext'] = None\n")
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([str(site), ROOT])
    work = tmp_path / 'work'
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', DET_CFG, '--work-dir', str(work)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(lines) == 1, proc.stderr
    assert 'make install-detection' in lines[0]
    assert 'mmcv._ext' in lines[0]
    assert not work.exists()
