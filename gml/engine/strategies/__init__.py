"""How a search proposes candidates: parent selection, breeding (variation
operators) and screening, as strategy objects one evolution loop takes from
``train_cfg`` (after Optuna's ``samplers/nsgaii/``), and the NSGA-II order
they share."""
from .breeding import CrossoverMutationBreeding, QuotaBreeding
from .screening import PredictorScreening
from .selection import NSGA2TournamentSelection, UniformTopSelection
from .variation import UniformCrossover, UniformMutation

__all__ = ['CrossoverMutationBreeding', 'NSGA2TournamentSelection',
           'PredictorScreening', 'QuotaBreeding', 'UniformCrossover',
           'UniformMutation', 'UniformTopSelection']
