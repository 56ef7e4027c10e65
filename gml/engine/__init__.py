from .runner import build_runner

__all__ = ['build_runner']
from . import hooks, optimizers  # noqa: F401,E402
from . import loops  # noqa: F401,E402  (registers gml's search/val loops)
