"""gml.hpo: hyper-parameter search over any training command.

Kept free of torch/mmengine imports: a job's script imports ``report`` from
here, and the controller must start fast.
"""
from .report import report

__all__ = ['report']
