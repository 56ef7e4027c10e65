
from .dmcp_mutator import DMCPChannelMutator  # noqa: F401
