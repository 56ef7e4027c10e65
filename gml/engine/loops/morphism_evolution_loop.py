"""Evolution by network morphism: children inherit their parents' weights.

Generation 0 trains the seed genotype (plus random mutants of it, from
scratch) for ``init_epochs``. Each later generation takes the
``num_parents`` fittest models so far, makes ``num_children`` mutated
children of them (round robin), builds each child's weights from its
parent's (function-preserving where the mutation allows: Net2Net or R2R,
``init``) and trains it for ``child_epochs``. Children of a generation are
trained in parallel, one per rank (``child i`` on rank ``i % world``);
every child's training depends only on its own seed, so results do not
depend on the number of ranks, and a resumed run equals an uninterrupted
one.

Per model, ``models/<generation>_<id>_meta.json`` (Evolly's keys:
``train_loss``, ``val_metric``, ``config``, ``parameters``, ``flops``,
``training_time``, ``fitness``) and ``models/<generation>_<id>.pth``; per
run ``evolution.csv``, ``best_genotype.yaml``, ``best_model.pth``,
``fitness.png``, ``lineage.png``, ``storyboard.png`` (the best lineage's
architectures, written at the end) and ``evolution_state.json`` (what
``tools/search.py --resume`` continues from). With ``fitness_in_names`` the
meta files carry the fitness as Evolly's do
(``0000_00001_0.90547_meta.json``); readers accept both names. Each
generation's best fitness, the best so far and its params go to the runner's
visualizer (``evolution/*`` scalars: TensorBoard with
``vis_backends=[dict(type='TensorboardVisBackend')]``).
"""
import copy
import json
import os
import os.path as osp
import random
from typing import Dict, List, Optional, Sequence

from mmengine.dist import (all_gather_object, barrier, get_rank,
                           get_world_size, is_main_process)
from mmengine.model import is_model_wrapper

from gml.engine.reports.evolution_report import (RULES, best_record,
                                                  best_so_far, ranked,
                                                  write_best, write_csv,
                                                  write_plots)
from gml.engine.scoring.child_scorer import ChildScorer
from gml.engine.scoring.child_trainer import local_loader
from gml.models.algorithms.nas.morphism import NetworkMorphism
from gml.models.task_modules.morphism.inheritance import INIT_METHODS
from gml.registry import DATASETS, LOOPS
from gml.structures.genotype import Genotype, load_genotype
from gml.utils.errors import ConfigError

from .generational_loop import GenerationalLoop



@LOOPS.register_module()
class MorphismEvolutionLoop(GenerationalLoop):
    """Evolve genotypes whose children inherit their parents' weights.

    The config's ``model`` is a ``gml.NetworkMorphism`` (the seed genotype,
    the mutations, their bounds and the weight inheritance). The former
    shape, ``model`` a ``gml.GenotypeClassifier`` with ``init``,
    ``mutations`` and ``search_space`` here in ``train_cfg``, builds the
    same algorithm. Children train with the config's ``train_dataloader``
    (dataset and batch size) and ``optim_wrapper`` and are scored on
    ``val_dataloader`` with ``val_evaluator``.

    Args:
        runner: the mmengine Runner.
        dataloader: passed by the Runner; unused (every rank builds its
            own unsharded loaders from the config).
        max_generations: generations after generation 0.
        population_size: models of generation 0 (the seed and mutants of
            it, trained from scratch).
        num_parents: fittest models that have children each generation.
        num_children: children per generation.
        init_epochs: training epochs of generation 0.
        child_epochs: training epochs of every child.
        init, mutations, search_space: only with a
            ``gml.GenotypeClassifier`` model (the former shape): the
            ``gml.NetworkMorphism`` arguments of that name (``init``
            defaults to ``'r2r'``).
        score_key: the validation metric.
        rule: ``'greater'`` (default) or ``'less'``: whether a higher or a
            lower ``score_key`` is better (mmengine's CheckpointHook
            naming; Evolly's ``metric_op`` max/min). Fitness, parents, the
            best model and the plots follow it.
        fitness: ``dict(target_params=, w_params=, target_flops=,
            w_flops=)``: fitness = score x (target_params / params) **
            w_params x (target_flops / flops) ** w_flops (Evolly's
            trade-off; the default is the plain score). With ``rule='less'``
            the ratios are inverted, so a larger model still costs.
        fitness_in_names: name meta files ``<gen>_<id>_<fitness>_meta.json``
            (Evolly's pattern) instead of ``<gen>_<id>_meta.json``.
        input_shape: ``(C, H, W)`` for counting FLOPs.
        lr_schedule: ``'cosine'`` (per child, over its epochs) or
            ``'constant'``.
        max_trials: mutation draws before giving up finding a child
            genotype not trained before.
        seed: of the evolution (default: the runner's seed).
        seed_checkpoint: weights for the seed model (``tools/search.py
            CONFIG CHECKPOINT``).
        resume: continue from ``work_dir/evolution_state.json``.
    """

    #: tools/search.py: this search starts without a supernet checkpoint
    search_without_checkpoint = True

    state_file = 'evolution_state.json'
    resume_keys = ('loop', 'seed', 'seed_genotype', 'init')
    what = 'evolution'

    def __init__(self,
                 runner,
                 dataloader=None,
                 max_generations: int = 5,
                 population_size: int = 1,
                 num_parents: int = 2,
                 num_children: int = 4,
                 init_epochs: int = 4,
                 child_epochs: int = 2,
                 init: Optional[str] = None,
                 mutations: Optional[Dict[str, float]] = None,
                 search_space: Optional[Dict] = None,
                 score_key: str = 'accuracy/top1',
                 rule: str = 'greater',
                 fitness: Optional[Dict] = None,
                 fitness_in_names: bool = False,
                 input_shape: Sequence[int] = (3, 224, 224),
                 lr_schedule: str = 'cosine',
                 max_trials: int = 100,
                 seed: Optional[int] = None,
                 seed_checkpoint: Optional[str] = None,
                 resume: bool = False):
        cfg = runner.cfg
        self.algorithm = self._algorithm(runner, init, mutations,
                                         search_space)
        for key in ('train_dataloader', 'val_dataloader', 'val_evaluator',
                    'optim_wrapper'):
            if not cfg.get(key):
                raise ConfigError(f'MorphismEvolutionLoop: the config needs '
                                  f'{key}')
        super().__init__(runner, cfg.train_dataloader)
        for name, value, low in (('max_generations', max_generations, 0),
                                 ('population_size', population_size, 1),
                                 ('num_parents', num_parents, 1),
                                 ('num_children', num_children, 1),
                                 ('init_epochs', init_epochs, 0),
                                 ('child_epochs', child_epochs, 1)):
            if not isinstance(value, int) or value < low:
                raise ConfigError(f'train_cfg.{name} must be an integer >= '
                                  f'{low}, got {value!r}')
        self._max_epochs = max_generations
        self.population_size = population_size
        self.num_parents = num_parents
        self.num_children = num_children
        self.init_epochs = init_epochs
        self.child_epochs = child_epochs
        self.init = self.algorithm.init
        if rule not in RULES:
            raise ConfigError(f'train_cfg.rule must be one of {RULES}, got '
                              f'{rule!r}')
        self.score_key = score_key
        self.rule = rule
        self.fitness_in_names = bool(fitness_in_names)
        self.fitness_cfg = dict(target_params=None, w_params=0.0,
                                target_flops=None, w_flops=0.0)
        unknown = set(fitness or {}) - set(self.fitness_cfg)
        if unknown:
            raise ConfigError(f'train_cfg.fitness: unknown keys '
                              f'{sorted(unknown)}; expected '
                              f'{sorted(self.fitness_cfg)}')
        self.fitness_cfg.update(fitness or {})
        self.input_shape = tuple(input_shape)
        self.lr_schedule = lr_schedule
        self.max_trials = max_trials
        self.seed = runner.seed if seed is None else seed
        self.seed_checkpoint = seed_checkpoint
        self.resume = resume
        self.seed_genotype = self.algorithm.seed_genotype
        self.generation = 0  # generations finished
        self.records: List[Dict] = []
        self.rng = random.Random(self.seed)

    # generation 0 is the seed model; then max_epochs evolved generations
    @property
    def num_generations(self) -> int:
        return self._max_epochs + 1

    @property
    def models_dir(self) -> str:
        return osp.join(self.runner.work_dir, 'models')

    # -- building blocks --
    @staticmethod
    def _algorithm(runner, init, mutations, search_space
                   ) -> NetworkMorphism:
        """The runner's ``gml.NetworkMorphism``, or one built from the
        former shape (a ``GenotypeClassifier`` model and ``train_cfg``)."""
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        given = {k: v for k, v in (('init', init), ('mutations', mutations),
                                   ('search_space', search_space))
                 if v is not None}
        if isinstance(model, NetworkMorphism):
            if given:
                raise ConfigError(
                    f'train_cfg.{sorted(given)[0]}: with model.type='
                    "'gml.NetworkMorphism' give it in model (model."
                    f'{sorted(given)[0]}), not in train_cfg')
            return model
        cfg = runner.cfg.model
        if str(cfg.get('type', '')).split('.')[-1] != 'GenotypeClassifier':
            raise ConfigError("MorphismEvolutionLoop: model.type must be "
                              "'gml.NetworkMorphism' (or the former "
                              "'gml.GenotypeClassifier'), got "
                              f'{cfg.get("type")!r}')
        if init is not None and init not in INIT_METHODS:
            raise ConfigError(f'train_cfg.init must be one of '
                              f'{INIT_METHODS}, got {init!r}')
        return NetworkMorphism(
            model=copy.deepcopy(cfg),
            data_preprocessor=runner.cfg.get('data_preprocessor'),
            **{'init': 'r2r', **given})

    def fitness(self, score: float, params: int, flops: int) -> float:
        f = self.fitness_cfg
        value = score
        # 'less': the inverse ratio, so a larger model still scores worse
        power = 1 if self.rule == 'greater' else -1
        if f['target_params'] and f['w_params']:
            value *= (f['target_params'] / params) ** (power * f['w_params'])
        if f['target_flops'] and f['w_flops']:
            value *= (f['target_flops'] / flops) ** (power * f['w_flops'])
        return float(value)

    def child_seed(self, model_id: int) -> int:
        return (self.seed * 1_000_003 + model_id * 7919) % (2 ** 31)

    # -- proposals (computed on rank 0 and broadcast) --
    def propose(self) -> List[Dict]:
        next_id = len(self.records)
        seen = {r['key'] for r in self.records}
        specs = []

        def add(genotype, parent, mutation):
            nonlocal next_id
            seen.add(genotype.key())
            specs.append(dict(id=next_id, generation=self.generation,
                              parent=parent, genotype=genotype.to_dict(),
                              mutation=mutation and mutation.to_dict()))
            next_id += 1

        if self.generation == 0:
            add(self.seed_genotype, None, None)
            while len(specs) < self.population_size:
                child, mutation = self._new_child(self.seed_genotype, seen)
                add(child, None, mutation)
            return specs
        parents = ranked(self.records, self.rule)[:self.num_parents]
        for i in range(self.num_children):
            parent = parents[i % len(parents)]
            child, mutation = self._new_child(
                load_genotype(parent['genotype']), seen)
            add(child, parent['id'], mutation)
        return specs

    def _new_child(self, genotype: Genotype, seen: set):
        for _ in range(self.max_trials):
            child, mutation = self.algorithm.mutate(genotype, self.rng)
            if child.key() not in seen:
                return child, mutation
        raise ConfigError(f'no new genotype in {self.max_trials} mutations '
                          f'of {genotype!r}; widen the search_space')

    # -- one model --
    def name(self, spec: Dict) -> str:
        return f'{spec["generation"]:04d}_{spec["id"]:05d}'

    def model_config(self, spec: Dict) -> Dict:
        """What determines a model's result (its metadata's ``config``)."""
        return dict(genotype=spec['genotype'], parent=spec['parent'],
                    mutation=spec['mutation'],
                    epochs=self.init_epochs if spec['generation'] == 0
                    else self.child_epochs, init=self.init,
                    seed=self.child_seed(spec['id']),
                    generation=spec['generation'], model_id=spec['id'])

    def run_model(self, spec: Dict, by_id: Dict[int, Dict]) -> Dict:
        """Train child ``spec`` (or keep it from a run before a kill)."""
        return self.scorer(spec, self.name(spec), self.model_config(spec),
                           by_id)

    # -- the loop --
    # -- the generation driver's hooks (GenerationalLoop.run) --
    def setup(self) -> None:
        cfg = self.runner.cfg
        os.makedirs(self.models_dir, exist_ok=True)
        self.scorer = ChildScorer(
            self.algorithm, self.models_dir,
            train_set=DATASETS.build(cfg.train_dataloader.dataset),
            batch_size=cfg.train_dataloader.batch_size,
            optim_cfg=cfg.optim_wrapper,
            val_loader=local_loader(
                DATASETS.build(cfg.val_dataloader.dataset),
                cfg.val_dataloader.batch_size, shuffle=False),
            evaluator=self.runner.build_evaluator(cfg.val_evaluator),
            score_key=self.score_key, lr_schedule=self.lr_schedule,
            input_shape=self.input_shape, fitness=self.fitness,
            fitness_in_names=self.fitness_in_names,
            seed_checkpoint=self.seed_checkpoint, logger=self.runner.logger)

    def next_proposals(self) -> List[Dict]:
        return self.broadcast(self.propose() if is_main_process() else None)

    def score_generation(self, specs: List[Dict]) -> None:
        """Train this rank's share of the children; every rank records
        all of them."""
        world, rank = get_world_size(), get_rank()
        by_id = {r['id']: r for r in self.records}
        done = [self.run_model(s, by_id) for i, s in enumerate(specs)
                if i % world == rank]
        if world > 1:
            done = [m for part in all_gather_object(done) for m in part]
        self.records += sorted(done, key=lambda r: r['id'])

    def end_generation(self, specs: List[Dict]) -> None:
        # the generation's mutations drew from the rng of rank 0
        self.sync_rng()
        if is_main_process():
            self.save_state()
            self.write_results()
            self.add_scalars(specs)
        self.log_generation(specs)
        barrier()

    def finish(self) -> None:
        best = best_record(self.records, self.rule)
        if is_main_process():
            from gml.engine.reports.storyboard import write_storyboard
            write_storyboard(self.records, osp.join(self.runner.work_dir,
                                                    'storyboard.png'),
                             self.rule)
        self.runner.logger.info(
            f'Evolution done: best {best["name"]} fitness '
            f'{best["fitness"]:.4f} ({self.score_key}={best["score"]:.2f}, '
            f'{best["params"] / 1e3:.1f} K params), written to '
            f'{osp.join(self.runner.work_dir, "best_genotype.yaml")}')

    def _new(self, specs) -> List[Dict]:
        ids = {s['id'] for s in specs}
        return [r for r in self.records if r['id'] in ids]

    def add_scalars(self, specs) -> None:
        """The generation's figures, to the visualizer's backends
        (TensorBoard, local JSON, ...), at step = generation."""
        new = self._new(specs)
        best = best_record(self.records, self.rule)
        self.runner.visualizer.add_scalars({
            'evolution/generation_best_fitness':
                best_record(new, self.rule)['fitness'],
            'evolution/generation_mean_fitness':
                sum(r['fitness'] for r in new) / len(new),
            'evolution/best_fitness': best_so_far(self.records,
                                                  self.rule)[-1],
            'evolution/best_score': best['score'],
            'evolution/best_params': best['params'],
            'evolution/models': len(self.records)},
            step=self.generation - 1)

    def log_generation(self, specs) -> None:
        new = self._new(specs)
        best = best_record(self.records, self.rule)
        self.runner.logger.info(
            f'{self.generation_label(self.generation - 1)}: '
            f'{len(new)} models, generation best fitness '
            f'{best_record(new, self.rule)["fitness"]:.4f}, overall best '
            f'{best["fitness"]:.4f} ({best["name"]})')

    # -- state --
    def state_dict(self) -> Dict:
        state = dict(super().state_dict(),
                     seed_genotype=self.seed_genotype.to_dict(),
                     init=self.init)
        if self.rule != 'greater':  # runs of before the rule stay as they were
            state['rule'] = self.rule
        return state

    def load_state(self) -> Optional[Dict]:
        if osp.isfile(self.state_path):
            with open(self.state_path) as f:
                saved = json.load(f).get('rule', 'greater')
            if saved != self.rule:
                raise self.resume_error(
                    f'--resume: {self.state_path} was written with rule='
                    f'{saved!r}, this evolution has {self.rule!r}; use '
                    'another --work-dir or the same config')
        state = super().load_state()
        if state is not None:
            self.runner.logger.info(
                f'Resumed the evolution from {self.state_path}: '
                f'{self.generation} generation(s) finished (0 = the seed), '
                f'{len(self.records)} models trained')
        return state

    def write_results(self) -> None:
        work_dir = self.runner.work_dir
        write_csv(self.records, osp.join(work_dir, 'evolution.csv'))
        write_best(self.records, work_dir, self.score_key, self.rule)
        write_plots(self.records, work_dir, self.rule)

