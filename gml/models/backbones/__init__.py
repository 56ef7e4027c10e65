
from .mobilenet_v2_slice import MobileNetV2Slice  # noqa: F401
from .shufflenet_v2_oneshot import ShuffleNetV2_OneShot  # noqa: F401
from .genotype_net import GenotypeNet  # noqa: F401
