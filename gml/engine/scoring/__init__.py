"""How candidates get their scores: a supernet's subnets on cached batches
(with BN re-estimation), the jobs that score them elsewhere, the generation
in flight, and a morphism child trained alone."""
from .candidate_scorer import (CandidateScorer, cache_batches, evaluate,
                               recalibrate_bn)
from .child_scorer import ChildScorer
from .child_trainer import evaluate_local, local_loader, train_epochs
from .whole_dataset import whole_dataset_loader

__all__ = ['CandidateScorer', 'ChildScorer', 'cache_batches', 'evaluate', 'evaluate_local',
           'local_loader', 'recalibrate_bn', 'train_epochs',
           'whole_dataset_loader']
