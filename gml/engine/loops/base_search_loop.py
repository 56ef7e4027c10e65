"""Shared machinery of gml's subnet searches over a trained supernet.

A search runs in generations. Each generation the concrete loop proposes
new candidates (``propose``); every candidate is checked against the
FLOPs/params limits, never evaluated twice, scored (BN recalibration +
validation) and recorded. After each generation the full state goes to
``search_state.json`` so ``--resume`` continues from the last finished
generation, and the results (CSV, best/top-k subnet yamls, plots) are
rewritten.
"""
import os.path as osp
import random
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.model import is_model_wrapper
from mmengine.runner.base_loop import BaseLoop
from mmengine.utils import ProgressBar

from gml.engine.search.candidate_scorer import (cache_batches, evaluate,
                                                recalibrate_bn)
from gml.engine.search.resource_estimator import SubnetResourceEstimator
from gml.engine.search.search_report import (write_candidates_csv,
                                             write_plots, write_subnets)
from gml.utils.fileio import atomic_dump_json

STATE_FILE = 'search_state.json'


class SearchError(RuntimeError):
    """The search cannot go on (constraints unsatisfiable, bad state)."""


class BaseSearchLoop(BaseLoop):
    """Generations of proposed subnets, scored and recorded.

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
        calibrate_batches: training batches used to recalibrate BN.
        calibrate_dataloader: defaults to the runner's train dataloader.
        seed: of the search's own RNG (default: the runner's seed).
        max_trials: sampling attempts before giving up on a candidate.
        resume: continue from ``work_dir/search_state.json`` (set by
            ``tools/search.py --resume``).
    """

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
                 calibrate_batches: int = 10,
                 calibrate_dataloader=None,
                 seed: Optional[int] = None,
                 max_trials: int = 1000,
                 resume: bool = False):
        # mmengine builds a train loop with dataloader=the train dataloader
        # unless train_cfg names one: a search scores on validation data
        if dataloader is None or dataloader is runner._train_dataloader:
            dataloader = runner.cfg.get('val_dataloader')
        if evaluator is None:
            evaluator = runner.cfg.get('val_evaluator')
        if dataloader is None or evaluator is None:
            raise ValueError('the search needs a dataloader and an evaluator '
                             '(train_cfg.dataloader/evaluator, or the '
                             'config\'s val_dataloader/val_evaluator)')
        super().__init__(runner, dataloader)
        if isinstance(evaluator, (dict, list)):
            evaluator = runner.build_evaluator(evaluator)
        self.evaluator = evaluator
        if hasattr(self.dataloader.dataset, 'metainfo'):
            self.evaluator.dataset_meta = self.dataloader.dataset.metainfo
        if max_epochs < 1 or num_candidates < 1 or top_k < 1:
            raise ValueError('max_epochs, num_candidates and top_k must be '
                             f'>= 1, got {max_epochs}, {num_candidates}, '
                             f'{top_k}')
        self._max_epochs = max_epochs
        self.num_candidates = num_candidates
        self.top_k = top_k
        self.score_key = score_key
        self.flops_range = self._check_range('flops_range', flops_range)
        self.params_range = self._check_range('params_range', params_range)
        self.input_shape = tuple(input_shape)
        self.calibrate_batches = calibrate_batches
        self._calibrate_dataloader = calibrate_dataloader
        self.seed = runner.seed if seed is None else seed
        self.max_trials = max_trials
        self.resume = resume
        self.generation = 0
        self.records: List[Dict] = []
        self._seen = set()
        self.rng = random.Random(self.seed)

    # -- mmengine's train-loop interface (Runner.train reads these) --
    @property
    def max_epochs(self) -> int:
        return self._max_epochs

    @property
    def max_iters(self) -> int:
        return self._max_epochs

    @property
    def epoch(self) -> int:
        return self.generation

    @property
    def iter(self) -> int:
        return self.generation

    @staticmethod
    def _check_range(name, value) -> Tuple[float, float]:
        if value is None:
            return (float('-inf'), float('inf'))
        if len(value) != 2:
            raise ValueError(f'{name} must be (min, max) in millions, got '
                             f'{value!r}')
        lo = float('-inf') if value[0] is None else float(value[0])
        hi = float('inf') if value[1] is None else float(value[1])
        if lo > hi:
            raise ValueError(f'{name}: min {lo} > max {hi}')
        return lo, hi

    # -- the subclass's part --
    def propose(self) -> List[Tuple[Dict, str]]:
        """New ``(subnet, origin)`` pairs for this generation."""
        raise NotImplementedError

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

    def fill_random(self, proposals: List[Tuple[Dict, str]]) -> None:
        keys = {self.key(s) for s, _ in proposals}
        while len(proposals) < self.num_candidates:
            subnet = self.sample_random(keys)
            if subnet is None:
                break
            proposals.append((subnet, 'random'))
            keys.add(self.key(subnet))
        if not proposals:
            raise SearchError(
                f'no new subnet within flops_range={self.flops_range} MFLOPs '
                f'and params_range={self.params_range} M found in '
                f'{self.max_trials} trials (evaluated so far: '
                f'{len(self.records)} of {self.mutator.num_subnets})')

    @property
    def top(self) -> List[Dict]:
        """The ``top_k`` best records, best first (ties: earliest first)."""
        return sorted(self.records, key=lambda r: (-r['score'], r['id'])
                      )[:self.top_k]

    # -- the loop --
    def run(self) -> None:
        model = self.runner.model
        self.model = model.module if is_model_wrapper(model) else model
        if not getattr(self.model, 'is_supernet', False):
            raise SearchError('the search needs a supernet: the config\'s '
                              'model must be gml.SPOS without mutable_cfg')
        self.mutator = self.model.mutator
        self.search_space = self.mutator.search_space
        self.estimator = SubnetResourceEstimator(
            self.model.architecture, self.mutator, self.input_shape)
        calib = self._calibrate_dataloader
        if calib is None:
            calib = self.runner.train_dataloader
        elif isinstance(calib, dict):
            calib = self.runner.build_dataloader(calib, seed=self.seed)
        self.calib_data = cache_batches(calib, self.calibrate_batches)
        if self.resume:
            self.load_state()
        while self.generation < self._max_epochs:
            proposals = self.propose()
            # every rank must score the same candidates
            proposals = self._broadcast(proposals)
            self.score_generation(proposals)
            self.generation += 1
            self.log_generation()
            if is_main_process():
                self.save_state()
                self.write_results()
        best = self.top[0]
        self.runner.logger.info(
            f'Search done: best {self.score_key}={best["score"]:.2f} '
            f'({best["flops_M"]:.3f} MFLOPs, {best["params_M"]:.4f} M '
            f'params), written to '
            f'{osp.join(self.runner.work_dir, "best_subnet.yaml")}')

    @staticmethod
    def _broadcast(obj):
        data = [obj]
        broadcast_object_list(data)
        return data[0]

    def score_generation(self, proposals: List[Tuple[Dict, str]]) -> None:
        bar = ProgressBar(len(proposals)) if is_main_process() else None
        for subnet, origin in proposals:
            self.records.append(self.score(subnet, origin))
            self._seen.add(self.key(subnet))
            if bar is not None:
                bar.update()
        if bar is not None:
            print(flush=True)

    def score(self, subnet: Dict, origin: str) -> Dict:
        self.mutator.set_choices(subnet)
        recalibrate_bn(self.model, self.calib_data)
        metrics = evaluate(self.model, self.dataloader, self.evaluator)
        if self.score_key not in metrics:
            raise SearchError(f'score_key {self.score_key!r} is not among '
                              f'the evaluator\'s metrics {sorted(metrics)}')
        flops, params = self.estimator.estimate(subnet)
        return dict(id=len(self.records), generation=self.generation,
                    origin=origin, score=float(metrics[self.score_key]),
                    flops_M=round(flops / 1e6, 6),
                    params_M=round(params / 1e6, 6), subnet=dict(subnet))

    def log_generation(self) -> None:
        new = [r for r in self.records if r['generation'] == self.generation
               - 1]
        best = self.top[0]
        self.runner.logger.info(
            f'Generation {self.generation}/{self._max_epochs}: '
            f'{len(new)} candidates, generation best '
            f'{max(r["score"] for r in new):.2f}, overall best '
            f'{best["score"]:.2f} (id {best["id"]}, '
            f'{best["flops_M"]:.3f} MFLOPs), evaluated {len(self.records)}')

    # -- state --
    @property
    def state_path(self) -> str:
        return osp.join(self.runner.work_dir, STATE_FILE)

    def state_dict(self) -> Dict:
        version, internal, gauss = self.rng.getstate()
        return dict(loop=type(self).__name__, seed=self.seed,
                    generation=self.generation,
                    search_space=self.search_space,
                    num_candidates=self.num_candidates,
                    rng_state=[version, list(internal), gauss],
                    records=self.records)

    def save_state(self) -> None:
        atomic_dump_json(self.state_dict(), self.state_path)

    def load_state(self) -> None:
        import json
        if not osp.isfile(self.state_path):
            self.runner.logger.warning(
                f'--resume: no {self.state_path}; starting the search anew')
            return
        with open(self.state_path) as f:
            state = json.load(f)
        for key in ('loop', 'search_space', 'num_candidates', 'seed'):
            mine = self.state_dict()[key]
            if state.get(key) != mine:
                raise SearchError(
                    f'--resume: {self.state_path} was written with {key}='
                    f'{state.get(key)!r}, this search has {mine!r}; use '
                    'another --work-dir or the same config')
        version, internal, gauss = state['rng_state']
        self.rng.setstate((version, tuple(internal), gauss))
        self.generation = state['generation']
        self.records = state['records']
        self._seen = {self.key(r['subnet']) for r in self.records}
        self.runner.logger.info(
            f'Resumed the search from {self.state_path}: generation '
            f'{self.generation}, {len(self.records)} candidates evaluated')

    def write_results(self) -> None:
        work_dir = self.runner.work_dir
        write_candidates_csv(self.records,
                             osp.join(work_dir, 'candidates.csv'))
        write_subnets(self.top, work_dir, self.score_key)
        write_plots(self.records, work_dir, self.score_key)
