from .dmcp_subnet_export_hook import DMCPSubnetExportHook  # noqa: F401
