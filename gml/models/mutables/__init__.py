
from .mutable_channel import MutableChannel  # noqa: F401
