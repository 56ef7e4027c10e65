from . import distill, nas, pruning, quantization  # noqa: F401
