from .stateless_mutator import StatelessMutator

__all__ = ['StatelessMutator']
