"""Multi-objective (Pareto) search over a trained supernet: the evolution
loop configured as NSGA-II (Pareto-rank selection, crossover then
mutation, two or more objectives), with exact FLOPs/params/latency from
lookup tables and optional POPNAS-style predictors that decide which
offspring are worth scoring."""
from typing import Dict, Mapping, Optional

from gml.engine.strategies.pareto import DIRECTIONS
from gml.registry import LOOPS
from gml.utils.errors import ConfigError

from .evolution_search_loop import KNOWN_OBJECTIVES, EvolutionSearchLoop


@LOOPS.register_module()
class ParetoSearchLoop(EvolutionSearchLoop):
    """NSGA-II over a supernet's subnets, for several objectives at once:
    :class:`EvolutionSearchLoop` with other defaults.

    Generation 0 is random. Each later one breeds offspring from the
    ``population_size`` best evaluated candidates (NSGA-II order: Pareto
    rank, then crowding distance) by binary tournament, uniform crossover
    (probability ``crossover_prob``) and per-block mutation
    (``mutate_prob``); every offspring is new and within the hard limits,
    random subnets fill any gap. With ``predictor``, ``pool_factor`` times
    more offspring are bred, their expensive objectives (the score) are
    predicted by scikit-learn regressors fitted on all evaluated
    candidates, and only the ``num_candidates`` predicted nearest the front
    (NSGA-II order among the evaluated candidates' true values and the
    offspring's predictions) are scored.

    FLOPs and params come from the per-block table of
    :class:`SubnetResourceEstimator`, latency from a per-op
    :class:`LatencyTable` measured once on the current device (cached in
    ``latency.lut_file``, default ``WORK_DIR/latency_lut.json``) and checked
    against whole-subnet timings; all three are known for every offspring
    before it is scored.

    Args:
        objectives: ``{name: 'max'|'min'}``, two or more of ``score``,
            ``flops_M``, ``params_M``, ``latency_ms``, ``train_ms``
            (default ``dict(score='max', latency_ms='min')``).
        population_size: parents kept each generation (default
            ``num_candidates``).
        crossover_prob: probability that an offspring is a crossover of
            two parents rather than a mutant of one (the default
            breeding's, ``CrossoverMutationBreeding``; 0.5 when unset).
        breeding: as in :class:`EvolutionSearchLoop`; default
            ``dict(type='CrossoverMutationBreeding', crossover_prob=...)``.
        selection: as in :class:`EvolutionSearchLoop`; default
            ``dict(type='NSGA2TournamentSelection')``: the
            ``population_size`` first in NSGA-II order, binary tournament.
        mutate_prob, mutation, crossover, latency, latency_range,
            train_time, predictor: as in :class:`EvolutionSearchLoop`.
        (other arguments: see :class:`BaseSearchLoop`)
    """
    default_objectives = dict(score='max', latency_ms='min')
    default_selection = 'NSGA2TournamentSelection'
    default_breeding = 'CrossoverMutationBreeding'

    def __init__(self, runner, dataloader=None, evaluator=None,
                 objectives: Optional[Mapping[str, str]] = None, **kwargs):
        super().__init__(runner, dataloader, evaluator,
                         objectives=objectives, **kwargs)

    @staticmethod
    def _check_objectives(objectives) -> Dict[str, str]:
        objectives = dict(objectives or {})
        if len(objectives) < 2 or any(
                k not in KNOWN_OBJECTIVES or v not in DIRECTIONS
                for k, v in objectives.items()):
            raise ConfigError(
                f'train_cfg.objectives: got {objectives!r}; expected two or '
                f'more of {list(KNOWN_OBJECTIVES)}, each \'max\' or \'min\', '
                "e.g. dict(score='max', latency_ms='min')")
        return objectives
