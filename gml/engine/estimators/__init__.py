"""What a candidate costs: FLOPs and params, latency in the runtime it
deploys to, and the predictors that estimate a score before scoring."""
from .resource_estimator import (SubnetResourceEstimator, count_flops,
                                 count_params)

__all__ = ['SubnetResourceEstimator', 'count_flops', 'count_params']
