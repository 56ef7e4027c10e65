"""Shared machinery of gml's subnet searches over a trained supernet.

A search runs in generations. Each generation the concrete loop proposes
new candidates (``propose``); every candidate is checked against the
FLOPs/params limits, never evaluated twice, scored (BN recalibration +
validation) and recorded. The proposals are saved before scoring starts and
each candidate's metrics as soon as they are known, so ``--resume``
continues a killed search mid-generation without scoring anything twice;
after each generation the full state goes to ``search_state.json`` and the
results (CSV, best/top-k subnet yamls, plots) are rewritten.

Scoring is parallel in one of three ways (``score_generation``), the same
for every subclass:

- ``score_mode='candidates'`` (default): with N ranks each rank scores a
  disjoint share of the generation's candidates on the whole validation
  set; the metrics are gathered on every rank before the next ``propose``.
- ``score_mode='data'``: every rank scores every candidate on its shard of
  the validation set; BN statistics and metrics are reduced over ranks (for
  validation sets too large for one worker).
- ``executor=dict(...)``: chunks of candidates are scored by separate jobs
  (Slurm, or local processes) through submitit.

A candidate's metrics are a pure function of (subnet, supernet weights,
calibration batches, validation data), so the records are the same for 1,
2 or N ranks and for either executor.
"""
import io
import os.path as osp
import random
import time
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.dist import (all_gather_object, barrier,
                           get_dist_info, is_main_process)
from mmengine.model import is_model_wrapper

from gml.engine.scoring.candidate_scorer import CandidateScorer, cache_batches
from gml.engine.dispatch.executors import (BaseExecutor, ChunkError,
                                         InProcessExecutor, build_executor)
from gml.engine.scoring.pending_generation import PendingGeneration
from gml.engine.estimators import resource_estimator  # noqa: F401 (registers)
from gml.engine.strategies.strategy import build_strategy
from gml.engine.scoring.scoring_job import (ScoreCandidate,
                                           save_scoring_context)
from gml.engine.reports.search_report import (write_candidates_csv,
                                             write_plots, write_subnets)
from gml.engine.scoring.whole_dataset import whole_dataset_loader
from gml.structures import Candidate
from gml.utils.errors import ConfigError, SearchError

from .generational_loop import GenerationalLoop

PENDING_DIR = 'search_pending'
JOBS_DIR = 'search_jobs'
SCORE_MODES = ('candidates', 'data')


class BaseSearchLoop(GenerationalLoop):
    """Generations of proposed subnets, scored and recorded.

    Subclasses (the evolution, random and Pareto searches) implement
    ``propose`` and may extend the rest of this contract:

    - ``propose() -> [(subnet, origin), ...]``: this generation's new
      candidates, drawn with ``self.rng`` (helpers: ``sample_random``,
      ``fill_random``, ``is_new_and_valid``, ``top``; extend ``limits``
      with a subclass's own limits, as errors name them).
    - ``make_record(candidate_id, subnet, origin, metrics) -> record``: a
      candidate's record from its metrics (``id``, ``generation``,
      ``origin``, ``score``, ``flops_M``, ``params_M``, ``subnet``). Runs in
      the search process for every candidate, whichever rank or job scored
      it: add objectives (latency, ...) here.
    - ``score(subnet, origin) -> record``: score one candidate in this
      process (``make_record`` of ``candidate_metrics``).
    - ``records`` (every record, by id), ``generation`` (finished
      generations), ``top``.
    - ``state_dict()``, ``save_state()``, ``load_state()``: what
      ``--resume`` continues from; extend ``state_dict``/``load_state``
      with a subclass's own state.
    - ``write_results()``: the files a finished generation leaves.

    ``score_generation`` scores a generation's candidates in parallel
    (ranks, or an executor's jobs); subclasses get that unchanged.

    Args:
        runner: the mmengine Runner (its model is SPOS with a supernet).
        dataloader: data the candidates are scored on (default: the
            config's ``val_dataloader``).
        evaluator: metric(s); ``score_key`` picks the score (higher wins)
            (default: the config's ``val_evaluator``).
        max_epochs: number of generations.
        num_candidates: candidates evaluated per generation.
        top_k: how many best subnets to keep and write.
        score_key: metric name of the score, e.g. ``accuracy/top1``.
        flops_range / params_range: ``(min, max)`` in millions; either end
            may be None. Candidates outside are never evaluated.
        input_shape: ``(C, H, W)`` used to count FLOPs.
        estimator: what a subnet costs in FLOPs and params: a
            ``TASK_UTILS`` config built with ``supernet``, ``mutator`` and
            ``input_shape`` (default: ``gml.SubnetResourceEstimator``,
            per-block lookup tables).
        calibrate_batches: training batches used to recalibrate BN.
        calibrate_dataloader: defaults to the runner's train dataloader.
        seed: of the search's own RNG (default: the runner's seed).
        max_trials: sampling attempts before giving up on a candidate.
        score_mode: 'candidates' (each rank scores its share of the
            candidates on the whole validation set) or 'data' (each rank
            scores every candidate on its share of the validation set).
        executor: None (score in this job) or a dict for
            :func:`gml.engine.dispatch.executors.build_executor`:
            ``dict(type='slurm'|'local'|'auto', partition=..., chunk_size=...,
            max_parallel=..., timeout_min=..., retries=..., ...)``; jobs keep
            their files in ``WORK_DIR/search_jobs``.
        resume: continue from ``work_dir/search_state.json`` (set by
            ``tools/search.py --resume``).
        save_weights: at the end, also write the weights of the subnets the
            search keeps (the top k; a Pareto search: its front) as
            checkpoints beside their yamls: the supernet's weights of each
            path with BN recalibrated exactly as it was scored, loadable by
            the subnet config (``algorithm.mutable_cfg=THE_YAML``) to test
            or fine-tune without retraining from scratch. (Under
            ``score_mode='data'`` on several ranks BN is recalibrated on
            rank 0's batches alone.)
    """

    resume_keys = ('loop', 'search_space', 'num_candidates', 'seed')
    resume_error = SearchError

    def __init__(self,
                 runner,
                 dataloader=None,
                 evaluator=None,
                 max_epochs: int = 20,
                 num_candidates: int = 50,
                 top_k: int = 10,
                 score_key: str = 'accuracy/top1',
                 flops_range: Optional[Sequence[Optional[float]]] = None,
                 params_range: Optional[Sequence[Optional[float]]] = None,
                 input_shape: Sequence[int] = (3, 224, 224),
                 estimator: Optional[Dict] = None,
                 calibrate_batches: int = 10,
                 calibrate_dataloader=None,
                 seed: Optional[int] = None,
                 max_trials: int = 1000,
                 score_mode: str = 'candidates',
                 executor: Optional[Dict] = None,
                 resume: bool = False,
                 save_weights: bool = False):
        # mmengine passes its train dataloader to every train loop it
        # builds; candidates are scored on held-out data unless
        # train_cfg.dataloader says otherwise
        if dataloader is None or dataloader is runner._train_dataloader:
            dataloader = runner.cfg.get('val_dataloader')
        if evaluator is None:
            evaluator = runner.cfg.get('val_evaluator')
        if dataloader is None or evaluator is None:
            raise ConfigError('the search needs a dataloader and an evaluator '
                              '(train_cfg.dataloader/evaluator, or the '
                              'config\'s val_dataloader/val_evaluator)')
        super().__init__(runner, dataloader)
        if isinstance(evaluator, (dict, list)):
            evaluator = runner.build_evaluator(evaluator)
        self.evaluator = evaluator
        if hasattr(self.dataloader.dataset, 'metainfo'):
            self.evaluator.dataset_meta = self.dataloader.dataset.metainfo
        if max_epochs < 1 or num_candidates < 1 or top_k < 1:
            raise ConfigError('train_cfg.max_epochs, num_candidates and top_k '
                              f'must be >= 1, got {max_epochs}, '
                              f'{num_candidates}, {top_k}')
        self._max_epochs = max_epochs
        self.num_candidates = num_candidates
        self.top_k = top_k
        self.score_key = score_key
        self.flops_range = self._check_range('flops_range', flops_range)
        self.params_range = self._check_range('params_range', params_range)
        self.input_shape = tuple(input_shape)
        self.estimator_cfg = estimator
        self.calibrate_batches = calibrate_batches
        self._calibrate_dataloader = calibrate_dataloader
        self.seed = runner.seed if seed is None else seed
        self.max_trials = max_trials
        self.score_mode = score_mode
        self.executor = self._build_executor(executor)
        self.resume = resume
        self.save_weights = bool(save_weights)
        self.generation = 0
        self.records: List[Dict] = []
        self._seen = set()
        #: the proposals of the generation being scored (None between)
        self.pending: Optional[List[Tuple[Dict, str]]] = None
        self.pending_store = PendingGeneration(
            osp.join(runner.work_dir, PENDING_DIR))
        self.rng = random.Random(self.seed)

    def _build_executor(self, cfg) -> Optional[BaseExecutor]:
        if self.score_mode not in SCORE_MODES:
            raise ConfigError(f'train_cfg.score_mode: got '
                              f'{self.score_mode!r}, expected one of '
                              f'{", ".join(map(repr, SCORE_MODES))}')
        if cfg is None or isinstance(cfg, BaseExecutor):
            executor = cfg
        else:
            try:
                executor = build_executor(
                    cfg, osp.join(self.runner.work_dir, JOBS_DIR))
            except (TypeError, ValueError) as e:
                raise ConfigError(f'train_cfg.executor: {e}') from None
        if executor is None:
            return None
        if self.score_mode == 'data':
            raise ConfigError(
                "train_cfg.executor dispatches whole candidates and cannot be "
                "combined with train_cfg.score_mode='data'")
        if get_dist_info()[1] > 1:
            raise ConfigError(
                'train_cfg.executor dispatches the scoring from one process: '
                'launch the search with one task (GPUS=1 for '
                'tools/slurm_search.sh), not '
                f'{get_dist_info()[1]}')
        return executor

    @staticmethod
    def _check_range(name, value) -> Tuple[float, float]:
        if value is None:
            return (float('-inf'), float('inf'))
        if len(value) != 2:
            raise ConfigError(f'train_cfg.{name} must be (min, max) in '
                              f'millions, got {value!r}')
        lo = float('-inf') if value[0] is None else float(value[0])
        hi = float('inf') if value[1] is None else float(value[1])
        if lo > hi:
            raise ConfigError(f'train_cfg.{name}: min {lo} > max {hi}')
        return lo, hi

    # -- the subclass's part --
    def propose(self) -> List[Tuple[Dict, str]]:
        """New ``(subnet, origin)`` pairs for this generation."""
        raise NotImplementedError

    def prepare(self) -> None:
        """Subclass hook, run on every rank once the model, mutator and
        estimator are set and before a resume loads the state."""

    # -- helpers for ``propose`` --
    def key(self, subnet: Dict) -> tuple:
        return tuple(subnet[n] for n in self.search_space)

    def is_new_and_valid(self, subnet: Dict, batch_keys: set) -> bool:
        k = self.key(subnet)
        if k in self._seen or k in batch_keys:
            return False
        flops, params = self.estimator.estimate(subnet)
        return (self.flops_range[0] <= flops / 1e6 <= self.flops_range[1]
                and self.params_range[0] <= params / 1e6
                <= self.params_range[1])

    def sample_random(self, batch_keys: set) -> Optional[Dict]:
        """A uniformly random, new, within-limits subnet (None if none is
        found in ``max_trials`` tries)."""
        for _ in range(self.max_trials):
            subnet = self.mutator.sample_choices(self.rng)
            if self.is_new_and_valid(subnet, batch_keys):
                return subnet
        return None

    def limits(self) -> str:
        """The candidates' limits, as errors name them."""
        return (f'flops_range={self.flops_range} MFLOPs, params_range='
                f'{self.params_range} M')

    def fill_random(self, proposals: List[Tuple[Dict, str]],
                    size: Optional[int] = None) -> None:
        """Add random new subnets until there are ``size`` proposals
        (default ``num_candidates``); an error if there are none."""
        size = size or self.num_candidates
        keys = {self.key(s) for s, _ in proposals}
        while len(proposals) < size:
            subnet = self.sample_random(keys)
            if subnet is None:
                break
            proposals.append((subnet, 'random'))
            keys.add(self.key(subnet))
        if not proposals:
            raise SearchError(
                f'generation {self.generation}: no new subnet within '
                f'{self.limits()} found in {self.max_trials} trials '
                f'(evaluated so far: {len(self.records)} of '
                f'{self.mutator.num_subnets})')

    @property
    def top(self) -> List[Dict]:
        """The ``top_k`` best records, best first (ties: earliest first)."""
        return sorted(self.records, key=lambda r: (-r['score'], r['id'])
                      )[:self.top_k]

    # -- the loop --
    # -- the generation driver's hooks (GenerationalLoop.run) --
    def setup(self) -> None:
        model = self.runner.model
        self.model = model.module if is_model_wrapper(model) else model
        if not getattr(self.model, 'is_supernet', False):
            raise SearchError('the search needs a supernet: the config\'s '
                              'model must be gml.SPOS without mutable_cfg')
        self.mutator = self.model.mutator
        self.search_space = self.mutator.search_space
        self.estimator = build_strategy(
            self.estimator_cfg, dict(type='gml.SubnetResourceEstimator'),
            'train_cfg.estimator',
            default_args=dict(supernet=self.model.architecture,
                              mutator=self.mutator,
                              input_shape=self.input_shape))
        self.scorer = self.build_scorer()
        self.prepare()

    def start(self) -> None:
        # a fresh search has not started until its first proposals are
        # saved: a failure before (e.g. limits no subnet meets) leaves
        # the work dir as it was (see gml.apis.cli.ToolSession)
        self.runner.started = False

    def next_proposals(self) -> List[Tuple[Dict, str]]:
        if self.pending is None:  # else: resumed inside this generation
            # every rank must score the same candidates
            self.pending = self.broadcast(self.propose())
            if is_main_process():
                self.pending_store.reset(self.generation)
                self.save_state()  # the proposals, before any scoring
            self.runner.started = True
            barrier()  # no rank saves a result into a dir being reset
        return self.pending

    def end_generation(self, proposals) -> None:
        self.pending = None
        self.log_generation()
        if is_main_process():
            self.save_state()
            self.pending_store.clear()  # its results are in the state
            self.write_results()

    def finish(self) -> None:
        if self.save_weights and is_main_process():
            self.write_weights()
        best = self.top[0]
        self.runner.logger.info(
            f'Search done: best {self.score_key}={best["score"]:.2f} '
            f'({best["flops_M"]:.3f} MFLOPs, {best["params_M"]:.4f} M '
            f'params), written to '
            f'{osp.join(self.runner.work_dir, "best_subnet.yaml")}')

    def weight_files(self) -> List[Tuple[Dict, str]]:
        """(record, checkpoint path) of the subnets ``save_weights``
        writes: the top k, beside ``top_k/rank_{i}.yaml``."""
        return [(r, osp.join(self.runner.work_dir, 'top_k', f'rank_{i}.pth'))
                for i, r in enumerate(self.top)]

    def write_weights(self) -> None:
        """Each kept subnet as its own checkpoint (see ``save_weights``)."""
        from gml.engine.scoring.candidate_scorer import recalibrate_bn
        from gml.engine.estimators.latency import standalone_subnet
        from gml.utils.fileio import atomic_write_bytes
        saved, files = self.mutator.current_choices, self.weight_files()
        try:
            for record, path in files:
                self.mutator.set_choices(record['subnet'])
                recalibrate_bn(self.model, self.calib_data, sync=False)
                arch = standalone_subnet(self.model.architecture,
                                         self.mutator, record['subnet'])
                state = {f'architecture.{k}': v.cpu()
                         for k, v in arch.state_dict().items()}
                buf = io.BytesIO()
                torch.save(dict(state_dict=state, meta=dict(
                    subnet=record['subnet'], candidate_id=record['id'],
                    score={self.score_key: record['score']})), buf)
                atomic_write_bytes(path, buf.getvalue())
        finally:
            self.mutator.set_choices(saved)
        self.runner.logger.info(
            f'Wrote the weights of {len(files)} subnets (save_weights), e.g. '
            f'{files[0][1]}')

    def build_scorer(self) -> CandidateScorer:
        """The in-process scorer, and the dispatched jobs' context.

        Calibration batches: in 'candidates' mode the first batches of the
        calibration loader as one process sees it, drawn by rank 0 and
        broadcast, so every rank (and job) calibrates on exactly the
        batches a one-process search uses. In 'data' mode each rank draws
        from its own shard and the statistics are averaged.
        """
        calib = self._calibrate_dataloader
        if calib is None:
            calib = self.runner.train_dataloader
        elif isinstance(calib, dict):
            calib = self.runner.build_dataloader(calib, seed=self.seed)
        world_size = get_dist_info()[1]
        if self.score_mode == 'data':
            self.calib_data = cache_batches(calib, self.calibrate_batches)
            return CandidateScorer(self.model, self.calib_data,
                                   self.dataloader, self.evaluator,
                                   distributed=world_size > 1)
        batches = (cache_batches(whole_dataset_loader(calib),
                                 self.calibrate_batches)
                   if is_main_process() else None)
        self.calib_data = (self.broadcast(batches) if world_size > 1
                           else batches)
        scorer = CandidateScorer(self.model, self.calib_data,
                                 whole_dataset_loader(self.dataloader),
                                 self.evaluator)
        if self.executor is not None:
            path = osp.join(self.runner.work_dir, JOBS_DIR,
                            'scoring_context.pt')
            save_scoring_context(path, self.model, self.calib_data,
                                 scorer.dataloader, self.evaluator)
            self.remote_scorer = ScoreCandidate(path)
        return scorer

    def candidate_metrics(self, subnet: Dict) -> Dict[str, float]:
        """The metrics of ``subnet``, scored in this process."""
        return self.scorer(subnet)

    def score_generation(self, proposals: List[Tuple[Dict, str]]) -> None:
        """Score and record ``proposals`` (in parallel: ranks or jobs).

        Candidates already scored (saved before a kill) are not scored
        again; the rest are split across ranks (``score_mode='candidates'``)
        or dispatched in chunks (``executor``), and every rank records all
        of them, in proposal order.
        """
        first = len(self.records)
        items = [(first + i, dict(s)) for i, (s, _) in enumerate(proposals)]
        metrics = self.broadcast(
            self.pending_store.load(self.generation, items)
            if is_main_process() else None)
        todo = [item for item in items if item[0] not in metrics]
        if len(todo) < len(items):
            self.runner.logger.info(
                f'Generation {self.generation}: {len(items) - len(todo)} '
                f'of {len(items)} candidates were scored before the restart')
        metrics.update(self._score_items(todo))
        for (cid, subnet), (_, origin) in zip(items, proposals):
            self.records.append(
                self.make_record(cid, subnet, origin, metrics[cid]))
            self._seen.add(self.key(subnet))

    def _score_items(self, todo: List[Tuple[int, Dict]]
                     ) -> Dict[int, Dict[str, float]]:
        rank, world_size = get_dist_info()
        if self.executor is not None:
            executor, fn, share = self.executor, self.remote_scorer, todo
            journal = self.pending_store.journal(self.generation)
        else:
            executor, fn, journal = InProcessExecutor(retries=0), \
                self._score_item, None
            share = (todo[rank::world_size] if self.score_mode ==
                     'candidates' else todo)
        # data mode: every rank has every result; rank 0 saves them
        saves = self.score_mode == 'candidates' or is_main_process()

        def on_result(index, result):
            if self.score_key not in result:
                raise SearchError(
                    f'train_cfg.score_key {self.score_key!r} is not among '
                    f'the evaluator\'s metrics {sorted(result)}')
            if saves:
                self.pending_store.save(self.generation, *share[index],
                                        result)

        start = time.perf_counter()
        try:
            results = executor.map(
                fn, share, names=[f'candidate {cid}' for cid, _ in share],
                on_result=on_result, journal=journal,
                progress=is_main_process(),
                desc=f'generation {self.generation}')
        except ChunkError as e:
            raise SearchError(
                f'generation {self.generation}: {e}\nThe other '
                'candidates\' scores are saved: fix the cause and rerun with '
                '--resume to score only the failed ones.') from None
        scored = {cid: m for (cid, _), m in zip(share, results)}
        slowest = time.perf_counter() - start
        if self.executor is None and self.score_mode == 'candidates' \
                and world_size > 1:
            parts = all_gather_object((scored, slowest))
            for part, _ in parts:
                scored.update(part)
            slowest = max(seconds for _, seconds in parts)
        total = time.perf_counter() - start
        if todo:  # (tools/benchmark/search_scaling.py reads this line)
            self.runner.logger.info(
                f'Generation {self.generation}: scored {len(todo)} '
                f'candidates in {total:.3f} s ({len(todo) / total:.2f}/s; '
                f'slowest rank {slowest:.3f} s, gather '
                f'{total - slowest:.3f} s)')
        return scored

    def _score_item(self, item: Tuple[int, Dict]) -> Dict[str, float]:
        return self.candidate_metrics(item[1])

    def make_record(self, candidate_id: int, subnet: Dict, origin: str,
                    metrics: Dict[str, float]) -> Dict:
        """The record of one scored candidate (see the class docstring)."""
        costs = self.resource_costs(subnet)
        return Candidate(candidate_id, self.generation, origin,
                         metrics[self.score_key], costs['flops_M'],
                         costs['params_M'], subnet)

    def resource_costs(self, subnet: Dict) -> Dict[str, float]:
        """``flops_M`` and ``params_M`` of ``subnet``, rounded as records
        keep them (so predicted and scored candidates compare alike)."""
        flops, params = self.estimator.estimate(subnet)
        return dict(flops_M=round(flops / 1e6, 6),
                    params_M=round(params / 1e6, 6))

    def score(self, subnet: Dict, origin: str) -> Dict:
        """Score one candidate in this process; its record (next id)."""
        metrics = self.candidate_metrics(subnet)
        if self.score_key not in metrics:
            raise SearchError(f'score_key {self.score_key!r} is not among '
                              f'the evaluator\'s metrics {sorted(metrics)}')
        return self.make_record(len(self.records), subnet, origin, metrics)

    def log_generation(self) -> None:
        new = [r for r in self.records if r['generation'] == self.generation
               - 1]
        best = self.top[0]
        self.runner.logger.info(
            f'{self.generation_label(self.generation - 1)}: '
            f'{len(new)} candidates, generation best '
            f'{max(r["score"] for r in new):.2f}, overall best '
            f'{best["score"]:.2f} (id {best["id"]}, '
            f'{best["flops_M"]:.3f} MFLOPs), evaluated {len(self.records)}')

    # -- state --
    def state_dict(self) -> Dict:
        pending = (None if self.pending is None
                   else [[s, o] for s, o in self.pending])
        return dict(super().state_dict(), search_space=self.search_space,
                    num_candidates=self.num_candidates, pending=pending)

    def load_state(self) -> Optional[Dict]:
        state = super().load_state()
        if state is None:
            return None
        self.records = [Candidate.from_dict(r) for r in self.records]
        self._seen = {self.key(r['subnet']) for r in self.records}
        pending = state.get('pending')
        self.pending = (None if pending is None
                        else [(dict(s), o) for s, o in pending])
        where = (f'{self.generation} generation(s) finished'
                 + ('' if self.pending is None else
                    f', in generation {self.generation} '
                    f'({len(self.pending)} candidates proposed)'))
        self.runner.logger.info(
            f'Resumed the search from {self.state_path}: {where}, '
            f'{len(self.records)} candidates evaluated')
        return state

    def write_results(self) -> None:
        work_dir = self.runner.work_dir
        write_candidates_csv(self.records,
                             osp.join(work_dir, 'candidates.csv'))
        write_subnets(self.top, work_dir, self.score_key)
        write_plots(self.records, work_dir, self.score_key)
