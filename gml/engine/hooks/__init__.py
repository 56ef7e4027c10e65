from .dmcp_subnet_export_hook import DMCPSubnetExportHook  # noqa: F401
from .group_pruning_hook import GroupPruningHook  # noqa: F401
