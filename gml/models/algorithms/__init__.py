from . import distill, nas, pruning  # noqa: F401
