# Importing the subpackages registers their classes in gml's registries.
from . import (algorithms, backbones, classifiers, connectors,  # noqa: F401
               distillers, heads, losses, mutables, mutators, quantizers)
