from .runner import build_runner

__all__ = ['build_runner']
