from .runner import build_runner

__all__ = ['build_runner']
from . import hooks, optimizers  # noqa: F401,E402
