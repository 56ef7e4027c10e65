from .runner import build_runner

__all__ = ['build_runner']
from . import loops  # noqa: F401,E402  (registers gml's search/val loops)
