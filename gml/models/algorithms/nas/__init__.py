from .morphism import NetworkMorphism
from .spos import SPOS

__all__ = ['NetworkMorphism', 'SPOS']
