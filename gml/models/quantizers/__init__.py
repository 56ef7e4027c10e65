"""Quantization recipes (PT2E annotators) and the torchao flow around them.

``int8_quantizer`` and ``pt2e`` import torchao (about 1.5 s), so they load on
first use: ``gml.models.quantizers.pt2e`` works as an attribute, and the
``gml.Int8Quantizer`` config type is registered here without importing it.
"""
import importlib

from gml.registry import MODELS

_LAZY = ('int8_quantizer', 'pt2e')


@MODELS.register_module(name='Int8Quantizer')
def build_int8_quantizer(**kwargs):
    """``type='gml.Int8Quantizer'``: see ``int8_quantizer.Int8Quantizer``."""
    from .int8_quantizer import Int8Quantizer
    return Int8Quantizer(**kwargs)


def __getattr__(name: str):
    if name in _LAZY:
        return importlib.import_module(f'.{name}', __name__)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
