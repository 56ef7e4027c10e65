import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Subprocesses (tools/*.py, search-run jobs) import this checkout's gml.
os.environ['PYTHONPATH'] = os.pathsep.join(
    p for p in (ROOT, os.environ.get('PYTHONPATH')) if p)
os.environ.setdefault('OMP_NUM_THREADS', '2')
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import gml.registry  # noqa: E402,F401  allow-lists mmengine classes for torch.load


def slurm_available():
    """(ok, reason): Slurm usable when srun exists and sinfo answers."""
    if shutil.which('srun') is None or shutil.which('sinfo') is None:
        return False, 'no Slurm on PATH (srun/sinfo); .ci/run starts one'
    try:
        out = subprocess.run(['sinfo', '-h', '-o', '%P %a'], timeout=10,
                             capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return False, 'sinfo timed out: slurmctld not responding'
    if out.returncode != 0 or not out.stdout.strip():
        return False, f'sinfo failed: {out.stderr.strip()[:200]}'
    return True, ''


def detection_unavailable():
    """Why tests marked `detection` cannot run, or None.

    Only a core install (tools/install.sh without --detection) skips them:
    where the detection stamp exists, a missing mmdet/mmcv._ext is a broken
    install and the tests must fail, not skip.
    """
    from gml.registry.scopes import missing_detection_stack
    missing = missing_detection_stack()
    if missing is None or os.path.exists(
            os.path.join(sys.prefix, '.gml-stamp-detection')):
        return None
    return f'core install without detection ({missing}); ' \
        'make install-detection adds it'


FASHION_MNIST = os.path.join(ROOT, 'data', 'fashion_mnist')
DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist'


def fashion_mnist_unavailable():
    """Why tests marked `fashion_mnist` cannot run, or None.

    They skip only where nothing offline could have prepared the data: with
    Debian's dataset-fashion-mnist installed, tools/install.sh prepares
    data/fashion_mnist/, so a missing copy is a broken install and the
    tests must fail, not skip.
    """
    if os.path.isdir(FASHION_MNIST) or os.path.isdir(DEBIAN_FASHION_MNIST):
        return None
    return ('data/fashion_mnist/ not prepared and no offline copy '
            f'({DEBIAN_FASHION_MNIST}); python tools/dataset_converters/'
            'prepare_fashion_mnist.py downloads it')


def pytest_collection_modifyitems(config, items):
    slurm_ok, slurm_reason = slurm_available()
    reasons = {'slurm': None if slurm_ok else slurm_reason,
               'detection': detection_unavailable(),
               'fashion_mnist': fashion_mnist_unavailable()}
    for marker, reason in reasons.items():
        if reason is None:
            continue
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope='session')
def repo_root():
    return ROOT


@pytest.fixture(scope='session')
def python_exe():
    return sys.executable
