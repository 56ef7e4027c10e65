"""Multi-objective (Pareto) search over a trained supernet: NSGA-II
selection, exact FLOPs/params/latency from lookup tables, and optional
POPNAS-style predictors that decide which offspring are worth scoring."""
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from gml.engine.search.latency import LatencyTable
from gml.engine.search.pareto import DIRECTIONS, front_records
from gml.engine.search.pareto_report import (write_front_plot,
                                             write_front_subnets,
                                             write_predictor_log)
from gml.engine.search.search_report import (CSV_FIELDS,
                                             write_candidates_csv,
                                             write_subnets)
from gml.engine.search.screening import build_screening
from gml.engine.search.strategy import build_breeding, build_selection
from gml.engine.search.timing_costs import TimingCosts
from gml.engine.search.variation import variation_operators
from gml.registry import LOOPS
from gml.utils.errors import ConfigError

from .base_search_loop import BaseSearchLoop

#: objectives a record carries (``score`` is the supernet's validation)
KNOWN_OBJECTIVES = ('score', 'flops_M', 'params_M', 'latency_ms',
                    'train_ms')

@LOOPS.register_module()
class ParetoSearchLoop(BaseSearchLoop):
    """NSGA-II over a supernet's subnets, for several objectives at once.

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
            ``flops_M``, ``params_M``, ``latency_ms``, ``train_ms``.
        population_size: parents kept each generation (default
            ``num_candidates``).
        crossover_prob: probability that an offspring is a crossover of
            two parents rather than a mutant of one (the default
            breeding's; 0.5 when unset).
        breeding: the breeding scheme's config (default
            ``dict(type='CrossoverMutationBreeding', crossover_prob=...)``,
            see :mod:`gml.engine.search.breeding`); not with
            ``crossover_prob``.
        mutate_prob, mutation, crossover: every offspring is then mutated
            (re-draws each block with probability ``mutate_prob``); the
            operators as in :class:`EvolutionSearchLoop`.
        selection: which candidates breed and how a parent is drawn
            (default ``dict(type='NSGA2TournamentSelection')``: the
            ``population_size`` first in NSGA-II order, binary tournament;
            see :mod:`gml.engine.search.selection`).
        latency: settings of the latency table (``batch_size``, ``warmup``,
            ``repeats``, ``rounds``, ``calibrate_subnets``,
            ``check_subnets``, ``clock``, ``lut_file``,
            ``max_check_error``, ``runtime``: ``'onnxruntime'`` (default,
            CPU, what the chosen model ships in) or ``'pytorch'`` (eager,
            on the model's device); see :class:`LatencyTable`); needed
            (defaults apply) when ``latency_ms`` is an objective or limited,
            and gives every record a ``latency_ms`` when set.
        latency_range: ``(min, max)`` hard limit in ms, like
            ``flops_range``.
        train_time: settings of the training-step table (``batch_size``,
            default 32, ``warmup``, ``repeats``, ``rounds``,
            ``calibrate_subnets``, ``check_subnets``, ``clock``,
            ``lut_file`` (default ``WORK_DIR/train_time_lut.json``),
            ``max_check_error``): the time of one training step (forward
            and backward, eager PyTorch, BN in train mode) of each subnet,
            per op and checked against whole subnets like the latency
            table; needed (defaults apply) when ``train_ms`` is an
            objective, and gives every record a ``train_ms`` when set.
        predictor: ``None``, or the screening's config: ``dict(models=
            {objective: regressor config}, pool_factor=4,
            min_records=num_candidates)`` (``type`` defaults to
            ``'PredictorScreening'``, see
            :mod:`gml.engine.search.screening`).
        (other arguments: see :class:`BaseSearchLoop`)
    """
    # another latency table or other objectives: the saved candidates'
    # values would not be comparable with the new ones
    resume_keys = BaseSearchLoop.resume_keys + ('objectives', 'latency_table',
                                                'train_time_table')

    def __init__(self, runner, dataloader=None, evaluator=None,
                 objectives: Mapping[str, str] = dict(score='max',
                                                      latency_ms='min'),
                 population_size: Optional[int] = None,
                 crossover_prob: Optional[float] = None,
                 breeding: Optional[Mapping] = None,
                 mutate_prob: Optional[float] = None,
                 mutation: Optional[Mapping] = None,
                 crossover: Optional[Mapping] = None,
                 selection: Optional[Mapping] = None,
                 latency: Optional[Mapping] = None,
                 latency_range: Optional[Sequence[Optional[float]]] = None,
                 predictor: Optional[Mapping] = None,
                 train_time: Optional[Mapping] = None,
                 **kwargs):
        super().__init__(runner, dataloader, evaluator, **kwargs)
        self.objectives = self._check_objectives(objectives)
        if population_size is not None and population_size < 1:
            raise ConfigError('train_cfg.population_size must be >= 1 (or '
                              f'None), got {population_size!r}')
        self.population_size = population_size or self.num_candidates
        self.mutation, self.crossover = variation_operators(
            mutate_prob, mutation, crossover)
        self.selection = build_selection(
            selection, dict(type='NSGA2TournamentSelection'), self.objectives)
        self.breeding = build_breeding(
            breeding, dict(crossover_prob=crossover_prob),
            'CrossoverMutationBreeding', self.num_candidates)
        self.latency_range = self._check_range('latency_range',
                                               latency_range)
        self.timing = TimingCosts.from_train_cfg(
            self.objectives, latency, latency_range is not None, train_time)
        self.screening = build_screening(predictor, self.objectives,
                                         self.seed)

    # -- configuration --
    @staticmethod
    def _check_objectives(objectives) -> Dict[str, str]:
        objectives = dict(objectives or {})
        bad = {k: v for k, v in objectives.items()
               if k not in KNOWN_OBJECTIVES or v not in DIRECTIONS}
        if bad or len(objectives) < 2:
            raise ConfigError(
                f'train_cfg.objectives: got {objectives!r}; expected two or '
                f'more of {list(KNOWN_OBJECTIVES)}, each \'max\' or \'min\', '
                "e.g. dict(score='max', latency_ms='min')")
        return objectives

    # -- set-up (every rank) --
    @property
    def latency_table(self) -> Optional[LatencyTable]:
        return self.timing.latency_table

    def prepare(self) -> None:
        self.timing.prepare(self)
        if self.screening is not None:
            self.screening.prepare(self.search_space, self.seed)

    # -- records --
    def limits(self) -> str:
        if self.latency_table is None:
            return super().limits()
        return f'{super().limits()}, latency_range={self.latency_range} ms'

    def is_new_and_valid(self, subnet: Dict, batch_keys: set) -> bool:
        if not super().is_new_and_valid(subnet, batch_keys):
            return False
        if self.latency_table is None:
            return True
        lo, hi = self.latency_range
        return lo <= self.latency_table.predict(subnet) <= hi

    def make_record(self, candidate_id: int, subnet: Dict, origin: str,
                    metrics: Dict[str, float]) -> Dict:
        """The base record, plus what the proposing side knows: the
        tables' times and, for a screened candidate, what was predicted."""
        record = super().make_record(candidate_id, subnet, origin, metrics)
        record.update(self.timing.of(subnet))
        if self.screening is not None:
            self.screening.complete(self, record)
        return record

    def exact_objectives(self, subnet: Dict) -> Dict[str, float]:
        """FLOPs, params and the tables' times of ``subnet``, known
        before it is scored."""
        # rounded as the records are, so both sides compare alike
        flops, params = self.estimator.estimate(subnet)
        return dict(flops_M=round(flops / 1e6, 6),
                    params_M=round(params / 1e6, 6),
                    **self.timing.of(subnet))

    # -- proposing --
    def propose(self) -> List[Tuple[Dict, str]]:
        if self.screening is not None:
            self.screening.pending = {}
        if not self.records:
            proposals: List[Tuple[Dict, str]] = []
            self.fill_random(proposals)
            return proposals
        screening = self.screening is not None and self.screening.active(
            len(self.records), self.num_candidates)
        size = (self.screening.pool_size(self.num_candidates) if screening
                else self.num_candidates)
        pool = self._breed(size)
        if screening and len(pool) > self.num_candidates:
            pool = self.screening.screen(self, pool)
        return pool

    def _breed(self, size: int) -> List[Tuple[Dict, str]]:
        parents = self.selection.parents(self.records, self.objectives,
                                         self.population_size)
        pool = self.breeding(self, parents, size)
        self.fill_random(pool, size)
        return pool

    # -- after each generation --
    def log_generation(self) -> None:
        super().log_generation()
        if self.screening is not None:
            self.screening.log_generation(self.records, self.generation - 1,
                                          self.runner.logger)
        front = self.front
        self.runner.logger.info(
            f'Pareto front ({", ".join(self.objectives)}): {len(front)} of '
            f'{len(self.records)} candidates')

    @property
    def front(self) -> List[Dict]:
        return front_records(self.records, self.objectives)

    # -- state --
    def state_dict(self) -> Dict:
        state = super().state_dict()
        screening = (self.screening.state_dict() if self.screening
                     else dict(predictor_log=[], pending_predictions={},
                               screened={}))
        state.update(objectives=self.objectives, **screening,
                     **self.timing.digests())
        return state

    def load_state(self) -> Optional[Dict]:
        state = super().load_state()  # checks resume_keys too
        if state is None:
            return None
        if self.screening is not None:
            self.screening.load_state_dict(state)
        return state

    # -- results --
    @property
    def csv_fields(self) -> List[str]:
        fields = list(CSV_FIELDS)
        fields += self.timing.names
        if self.screening is not None:
            fields += [f'predicted_{n}' for n in self.screening.objectives]
        return fields

    def weight_files(self) -> List[Tuple[Dict, str]]:
        """The front, beside ``pareto_front/candidate_{id}.yaml``."""
        return [(r, osp.join(self.runner.work_dir, 'pareto_front',
                             f'candidate_{r["id"]}.pth')) for r in self.front]

    def write_results(self) -> None:
        work_dir = self.runner.work_dir
        fields = self.csv_fields
        front = self.front
        write_candidates_csv(self.records, osp.join(work_dir,
                                                    'candidates.csv'), fields)
        write_candidates_csv(front, osp.join(work_dir, 'pareto_front.csv'),
                             fields)
        write_front_subnets(front, work_dir, fields, self.score_key)
        write_subnets(self.top, work_dir, self.score_key)
        if self.screening is not None:
            write_predictor_log(self.screening.log,
                                osp.join(work_dir, 'predictors.csv'))
        write_front_plot(self.records, front, self.generation, work_dir,
                         self.score_key, self.objectives)

