
from .mobilenet_v2_slice import MobileNetV2Slice  # noqa: F401
