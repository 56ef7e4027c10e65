from .dmcp import DMCP  # noqa: F401
from .dmcp_ddp import DMCPDDP  # noqa: F401
from .group_pruning import GroupPruning  # noqa: F401
