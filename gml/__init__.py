"""gml: an OpenMMLab-style toolbox for model compression and AutoML.

Kept import-light so ``gml.hpo`` (search-run/search-ctl) starts without torch;
``gml.registry``, which every model, dataset and tool path imports, makes
mmengine checkpoints loadable under torch's ``weights_only`` default.
"""
from .utils import third_party_warnings  # noqa: F401  before mmengine/mmcv
from .version import __version__

__all__ = ['__version__']
