from .candidate_scorer import cache_batches, evaluate, recalibrate_bn
from .resource_estimator import (SubnetResourceEstimator, count_flops,
                                 count_params)

__all__ = ['SubnetResourceEstimator', 'cache_batches', 'count_flops',
           'count_params', 'evaluate', 'recalibrate_bn']
