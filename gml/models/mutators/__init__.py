from .dmcp_mutator import DMCPChannelMutator  # noqa: F401
from .stateless_mutator import StatelessMutator

__all__ = ['DMCPChannelMutator', 'StatelessMutator']
