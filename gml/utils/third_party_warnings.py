"""Silence third-party import warnings that no gml user can act on.

Each filter names one message from one upstream cause; nothing is filtered
globally. Imported by ``gml/__init__`` so it runs before mmengine and mmcv.
"""
import warnings

# setuptools >= 80 deprecates pkg_resources, which mmengine 0.10.7
# (mmengine/utils/package_utils.py) and mmcv 2.1.0 still import; the fix is
# upstream's, and setuptools stays pinned (requirements/constraints.txt).
warnings.filterwarnings(
    'ignore', message=r'pkg_resources is deprecated as an API',
    category=UserWarning)
# mmcv-lite (the core install, tools/install.sh) has no compiled ops, so
# importing mmcv.cnn warns that MultiScaleDeformableAttention is missing;
# no gml model uses it, and detection installs full mmcv.
warnings.filterwarnings(
    'ignore', message=r'Fail to import ``MultiScaleDeformableAttention``',
    category=UserWarning, module=r'mmcv\.cnn\.bricks\.transformer')
