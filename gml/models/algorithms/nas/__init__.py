from .spos import SPOS

__all__ = ['SPOS']
