"""Importing gml's quantizers (so every quantization run) prints none of
torchao's import-time deprecation noise, and keeps other warnings of the
same logger."""
import logging
import subprocess
import sys

from tests.test_tools.helpers import ROOT


def test_quantizers_import_without_kernel_preference_warning():
    proc = subprocess.run(
        [sys.executable, '-c', 'import gml.models.quantizers.pt2e'],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'KernelPreference' not in proc.stdout + proc.stderr


def test_the_filter_is_gone_after_the_import():
    import gml.models.quantizers.pt2e  # noqa: F401
    logger = logging.getLogger('torch.utils._pytree')
    assert not logger.filters
    seen = []
    handler = logging.Handler()
    handler.emit = seen.append
    logger.addHandler(handler)
    try:
        logger.warning('<enum KernelPreference> ... register_constant()')
    finally:
        logger.removeHandler(handler)
    assert len(seen) == 1
