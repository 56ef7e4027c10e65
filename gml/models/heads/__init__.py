
from .linear_head_with_flops import LinearClsHead_WithFLOPs  # noqa: F401
