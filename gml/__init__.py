"""gml: an OpenMMLab-style toolbox for model compression and AutoML."""
from .version import __version__

try:
    from .utils.checkpoint import allow_mmengine_checkpoint_globals
except ImportError:
    # No torch/mmengine: light tools (gml.hpo drives any training script)
    # still import; nothing here could load a checkpoint anyway.
    pass
else:
    # torch >= 2.6 loads checkpoints with weights_only=True, which rejects
    # the mmengine objects a Runner stores (its message hub); allow-list
    # exactly those.
    allow_mmengine_checkpoint_globals()

__all__ = ['__version__']
