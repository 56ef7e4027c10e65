"""The former home of the search's strategies, scoring, dispatch,
estimators and reports (now ``gml.engine.{strategies, scoring, dispatch,
estimators, reports}``). Its module paths stay importable for users'
scripts: each old ``gml.engine.search.X`` *is* the moved module."""
import importlib
import sys

MOVED = {
    'breeding': 'strategies', 'pareto': 'strategies',
    'screening': 'strategies', 'selection': 'strategies',
    'strategy': 'strategies', 'variation': 'strategies',
    'candidate_scorer': 'scoring', 'pending_generation': 'scoring',
    'scoring_job': 'scoring', 'whole_dataset': 'scoring',
    'executors': 'dispatch', 'submitit_jobs': 'dispatch',
    'latency': 'estimators', 'predictors': 'estimators',
    'resource_estimator': 'estimators', 'timing_costs': 'estimators',
    'pareto_report': 'reports', 'search_report': 'reports',
}
for _name, _package in MOVED.items():
    sys.modules[f'{__name__}.{_name}'] = importlib.import_module(
        f'gml.engine.{_package}.{_name}')

from gml.engine.dispatch import (ChunkError, ChunkFailure,  # noqa: E402
                                 InProcessExecutor, SubmititExecutor,
                                 build_executor)
from gml.engine.estimators import (SubnetResourceEstimator,  # noqa: E402
                                   count_flops, count_params)
from gml.engine.scoring import (CandidateScorer, cache_batches,  # noqa: E402
                                evaluate, recalibrate_bn,
                                whole_dataset_loader)

__all__ = ['CandidateScorer', 'ChunkError', 'ChunkFailure',
           'InProcessExecutor', 'SubmititExecutor', 'SubnetResourceEstimator',
           'build_executor', 'cache_batches', 'count_flops', 'count_params',
           'evaluate', 'recalibrate_bn', 'whole_dataset_loader']
