from .candidate_scorer import (CandidateScorer, cache_batches, evaluate,
                               recalibrate_bn)
from .executors import (ChunkError, ChunkFailure, InProcessExecutor,
                        SubmititExecutor, build_executor)
from .resource_estimator import (SubnetResourceEstimator, count_flops,
                                 count_params)
from .whole_dataset import whole_dataset_loader

__all__ = ['CandidateScorer', 'ChunkError', 'ChunkFailure',
           'InProcessExecutor', 'SubmititExecutor', 'SubnetResourceEstimator',
           'build_executor', 'cache_batches', 'count_flops', 'count_params',
           'evaluate', 'recalibrate_bn', 'whole_dataset_loader']
