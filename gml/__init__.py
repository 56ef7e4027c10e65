"""gml: an OpenMMLab-style toolbox for model compression and AutoML."""
from .version import __version__

# `import gml` stays light (no torch/mmengine) so tools such as gml.hpo, which
# drive any training script, start fast. The checkpoint allow-list for
# torch >= 2.6 is installed by gml.registry, which every gml build imports
# (mmengine imports `<scope>.registry` for default_scope='gml').

__all__ = ['__version__']
