"""Import warnings that users cannot act on do not reach them, and only
those: each filter is checked against the same import without gml."""
import subprocess
import sys

import pytest

# mmcv-lite's import of mmcv.cnn, simulated on a full install by making
# mmcv._ext unimportable (what mmcv-lite lacks).
LITE = "import sys; sys.modules['mmcv._ext'] = None; "
CASES = {
    'MultiScaleDeformableAttention': LITE + 'import mmcv.cnn.bricks.transformer',
    # mmengine resolves `mmdet::`/`mmpretrain::` config bases through it
    'pkg_resources is deprecated': 'from mmengine.utils import '
    "get_installed_path; get_installed_path('mmengine')",
}


def _stderr(code):
    return subprocess.run([sys.executable, '-W', 'default', '-c', code],
                          capture_output=True, text=True, timeout=120).stderr


@pytest.mark.parametrize('message', sorted(CASES))
def test_filtered_after_importing_gml(message):
    assert message in _stderr(CASES[message]), \
        'the upstream warning is gone: drop its filter'
    assert message not in _stderr('import gml; ' + CASES[message])


def test_other_warnings_still_show():
    code = "import gml, warnings; warnings.warn('mine', UserWarning)"
    assert 'UserWarning: mine' in _stderr(code)
