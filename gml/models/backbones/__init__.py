
from .shufflenet_v2_oneshot import ShuffleNetV2_OneShot  # noqa: F401
