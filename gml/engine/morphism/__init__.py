"""Training and reporting for the morphism evolution
(``gml.engine.loops.MorphismEvolutionLoop``)."""
from .child_trainer import evaluate_local, local_loader, train_epochs

__all__ = ['evaluate_local', 'local_loader', 'train_epochs']
