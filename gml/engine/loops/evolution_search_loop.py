"""The evolutionary subnet search, single- or multi-objective: SPOS's
evolution by default, NSGA-II (:class:`ParetoSearchLoop`) by
configuration. Its strategies are objects from ``train_cfg``: parent
selection, breeding, variation, screening (predictors) and the timing
costs (latency, training time)."""
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from gml.engine.estimators.latency import LatencyTable
from gml.engine.strategies.pareto import DIRECTIONS, front_records
from gml.engine.reports.pareto_report import (write_front_plot,
                                             write_front_subnets,
                                             write_predictor_log)
from gml.engine.strategies.screening import build_screening
from gml.engine.reports.search_report import (CSV_FIELDS,
                                             write_candidates_csv,
                                             write_plots, write_subnets)
from gml.engine.strategies.strategy import build_breeding, build_selection
from gml.engine.estimators.timing_costs import TimingCosts
from gml.engine.strategies.variation import variation_operators
from gml.registry import LOOPS
from gml.utils.errors import ConfigError

from .base_search_loop import BaseSearchLoop

#: objectives a record carries (``score`` is the supernet's validation)
KNOWN_OBJECTIVES = ('score', 'flops_M', 'params_M', 'latency_ms',
                    'train_ms')
#: breeding scheme -> the top-level train_cfg keys that configure it
BREEDING_KEYS = dict(QuotaBreeding=('num_mutation', 'num_crossover'),
                     CrossoverMutationBreeding=('crossover_prob', ))


@LOOPS.register_module()
class EvolutionSearchLoop(BaseSearchLoop):
    """Generation 0 is random; each later one is bred from the parents a
    selection picks among the scored candidates (by default: ``num_mutation``
    mutants and ``num_crossover`` crossovers of the current top-k), topped
    up with random subnets to ``num_candidates``.

    With several ``objectives`` it is NSGA-II (see
    :class:`ParetoSearchLoop`, this loop with those defaults): a selection
    that ranks by Pareto front, and the front written beside the
    candidates. With ``predictor``, ``pool_factor`` times more offspring
    are bred and only the ``num_candidates`` predicted best are scored.
    ``latency``/``train_time`` give every candidate its time from a per-op
    table before it is scored (a cost to limit with ``latency_range`` or
    to optimise).

    Args:
        objectives: ``{name: 'max'|'min'}`` of ``score``, ``flops_M``,
            ``params_M``, ``latency_ms``, ``train_ms`` (default: the score).
        population_size: parents kept each generation (default ``top_k``
            with one objective, ``num_candidates`` with several).
        num_mutation: mutants per generation (``QuotaBreeding``'s; 25 when
            unset).
        num_crossover: crossovers per generation (likewise; 25 when unset).
        crossover_prob: probability that an offspring is a crossover
            (``CrossoverMutationBreeding``'s; 0.5 when unset).
        breeding: the breeding scheme's config (default ``dict(
            type='QuotaBreeding', num_mutation=..., num_crossover=...)``,
            see :mod:`gml.engine.strategies.breeding`); not with the keys
            above.
        mutate_prob: probability that a mutant re-draws each block (the
            default mutation's ``prob``; 0.1 when unset).
        mutation: the mutation operator's config (default
            ``dict(type='UniformMutation', prob=mutate_prob)``, see
            :mod:`gml.engine.strategies.variation`); not with ``mutate_prob``.
        crossover: the crossover operator's config (default
            ``dict(type='UniformCrossover', swapping_prob=0.5)``).
        selection: which candidates breed and how a parent is drawn
            (default ``dict(type='UniformTopSelection')``: the parents by
            score, uniformly; see :mod:`gml.engine.strategies.selection`).
        latency: settings of the latency table (``batch_size``, ``warmup``,
            ``repeats``, ``rounds``, ``calibrate_subnets``,
            ``check_subnets``, ``clock``, ``lut_file``,
            ``max_check_error``, ``runtime``: ``'onnxruntime'`` (default,
            CPU, what the chosen model ships in) or ``'pytorch'`` (eager,
            on the model's device); see
            :mod:`gml.engine.estimators.timing_costs`); needed (defaults apply)
            when ``latency_ms`` is an objective or limited, and gives every
            record a ``latency_ms`` when set.
        latency_range: ``(min, max)`` hard limit in ms, like
            ``flops_range``.
        train_time: settings of the training-step table (``batch_size``,
            default 32, ``warmup``, ``repeats``, ``rounds``,
            ``calibrate_subnets``, ``check_subnets``, ``clock``,
            ``lut_file`` (default ``WORK_DIR/train_time_lut.json``),
            ``max_check_error``): the time of one training step (forward
            and backward, eager PyTorch, BN in train mode) of each subnet;
            needed (defaults apply) when ``train_ms`` is an objective, and
            gives every record a ``train_ms`` when set.
        predictor: ``None``, or the screening's config: ``dict(models=
            {objective: regressor config}, pool_factor=4,
            min_records=num_candidates)`` (``type`` defaults to
            ``'PredictorScreening'``, see
            :mod:`gml.engine.strategies.screening`).
        (other arguments: see :class:`BaseSearchLoop`)
    """
    # another latency table or other objectives: the saved candidates'
    # values would not be comparable with the new ones
    resume_keys = BaseSearchLoop.resume_keys + ('objectives', 'latency_table',
                                                'train_time_table')
    #: what a loop of this type does when the config does not say
    default_objectives = {'score': 'max'}
    default_selection = 'UniformTopSelection'
    default_breeding = 'QuotaBreeding'

    def __init__(self, runner, dataloader=None, evaluator=None,
                 objectives: Optional[Mapping[str, str]] = None,
                 population_size: Optional[int] = None,
                 num_mutation: Optional[int] = None,
                 num_crossover: Optional[int] = None,
                 crossover_prob: Optional[float] = None,
                 breeding: Optional[Mapping] = None,
                 mutate_prob: Optional[float] = None,
                 mutation: Optional[Mapping] = None,
                 crossover: Optional[Mapping] = None,
                 selection: Optional[Mapping] = None,
                 latency: Optional[Mapping] = None,
                 latency_range: Optional[Sequence[Optional[float]]] = None,
                 train_time: Optional[Mapping] = None,
                 predictor: Optional[Mapping] = None, **kwargs):
        super().__init__(runner, dataloader, evaluator, **kwargs)
        self.objectives = self._check_objectives(
            self.default_objectives if objectives is None else objectives)
        if population_size is not None and population_size < 1:
            raise ConfigError('train_cfg.population_size must be >= 1 (or '
                              f'None), got {population_size!r}')
        self.population_size = population_size or (
            self.top_k if len(self.objectives) == 1 else self.num_candidates)
        self.mutation, self.crossover = variation_operators(
            mutate_prob, mutation, crossover)
        self.selection = build_selection(
            selection, dict(type=self.default_selection), self.objectives)
        self.breeding = build_breeding(
            breeding, self._breeding_shorthand(dict(
                num_mutation=num_mutation, num_crossover=num_crossover,
                crossover_prob=crossover_prob)),
            self.default_breeding, self.num_candidates)
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
        if bad or not objectives:
            raise ConfigError(
                f'train_cfg.objectives: got {objectives!r}; expected one or '
                f'more of {list(KNOWN_OBJECTIVES)}, each \'max\' or \'min\', '
                "e.g. dict(score='max', latency_ms='min')")
        return objectives

    def _breeding_shorthand(self, given: Dict) -> Dict:
        """The top-level keys that configure the default breeding; a key
        of another scheme is refused, naming the scheme to configure."""
        own = BREEDING_KEYS.get(self.default_breeding, ())
        for key, value in given.items():
            if value is not None and key not in own:
                scheme = next(n for n, keys in BREEDING_KEYS.items()
                              if key in keys)
                raise ConfigError(
                    f'train_cfg.{key}: configures {scheme}, but this loop '
                    f'breeds with {self.default_breeding} by default; set '
                    f"breeding=dict(type='{scheme}', {key}=...)")
        return {k: given[k] for k in own}

    @property
    def multi_objective(self) -> bool:
        return len(self.objectives) > 1

    @property
    def keeps_extras(self) -> bool:
        """Whether its state and CSV carry more than SPOS's (objectives,
        times, predictions): with several objectives, timing or
        screening."""
        return bool(self.multi_objective or self.timing.names
                    or self.screening is not None)

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
        return dict(self.resource_costs(subnet), **self.timing.of(subnet))

    # -- proposing --
    def propose(self) -> List[Tuple[Dict, str]]:
        if self.screening is not None:
            self.screening.pending = {}
        proposals: List[Tuple[Dict, str]] = []
        if not self.records:
            self.fill_random(proposals)
            return proposals
        screening = self.screening is not None and self.screening.active(
            len(self.records), self.num_candidates)
        size = (self.screening.pool_size(self.num_candidates) if screening
                else self.num_candidates)
        parents = self.selection.parents(self.records, self.objectives,
                                         self.population_size)
        proposals = self.breeding(self, parents, size)
        self.fill_random(proposals, size)
        if screening and len(proposals) > self.num_candidates:
            proposals = self.screening.screen(self, proposals)
        return proposals

    # -- after each generation --
    def log_generation(self) -> None:
        super().log_generation()
        if self.screening is not None:
            self.screening.log_generation(self.records, self.generation - 1,
                                          self.runner.logger)
        if self.multi_objective:
            self.runner.logger.info(
                f'Pareto front ({", ".join(self.objectives)}): '
                f'{len(self.front)} of {len(self.records)} candidates')

    @property
    def front(self) -> List[Dict]:
        return front_records(self.records, self.objectives)

    # -- state --
    def state_dict(self) -> Dict:
        state = super().state_dict()
        if self.keeps_extras:
            screening = (self.screening.state_dict() if self.screening
                         else dict(predictor_log=[], pending_predictions={},
                                   screened={}))
            state.update(objectives=self.objectives, **screening,
                         **self.timing.digests())
        return state

    def load_state(self) -> Optional[Dict]:
        state = super().load_state()  # checks resume_keys too
        if state is not None and self.screening is not None:
            self.screening.load_state_dict(state)
        return state

    # -- results --
    @property
    def csv_fields(self) -> List[str]:
        fields = list(CSV_FIELDS) + self.timing.names
        if self.screening is not None:
            fields += [f'predicted_{n}' for n in self.screening.objectives]
        return fields

    def weight_files(self) -> List[Tuple[Dict, str]]:
        """Several objectives: the front, beside
        ``pareto_front/candidate_{id}.yaml``; else the top k."""
        if not self.multi_objective:
            return super().weight_files()
        return [(r, osp.join(self.runner.work_dir, 'pareto_front',
                             f'candidate_{r["id"]}.pth')) for r in self.front]

    def write_results(self) -> None:
        work_dir = self.runner.work_dir
        write_candidates_csv(self.records,
                             osp.join(work_dir, 'candidates.csv'),
                             self.csv_fields)
        write_subnets(self.top, work_dir, self.score_key)
        if self.screening is not None:
            write_predictor_log(self.screening.log,
                                osp.join(work_dir, 'predictors.csv'))
        if self.multi_objective:
            self.write_front(work_dir)
        else:
            write_plots(self.records, work_dir, self.score_key)

    def write_front(self, work_dir: str) -> None:
        """``pareto_front.csv``, ``pareto_front/*.yaml`` and this
        generation's plot of the front."""
        front = self.front
        write_candidates_csv(front, osp.join(work_dir, 'pareto_front.csv'),
                             self.csv_fields)
        write_front_subnets(front, work_dir, self.csv_fields, self.score_key)
        write_front_plot(self.records, front, self.generation, work_dir,
                         self.score_key, self.objectives)
