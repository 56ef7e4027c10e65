"""Scoring a morphism child: inherit, train, validate, save.

The morphism evolution's counterpart of :class:`CandidateScorer`: where a
supernet search scores a subnet with shared weights, an evolution scores a
child by training it. Each child is built by the algorithm
(``gml.NetworkMorphism``), filled from its parent's weights, trained alone
(:mod:`.child_trainer`), and leaves Evolly's metadata and a checkpoint, so
a resumed evolution keeps what was trained before a kill.
"""
import json
import os
import os.path as osp
from typing import Callable, Dict, Optional

import torch
from mmengine.dist import get_rank

from gml.engine.estimators.resource_estimator import count_flops, count_params
from gml.engine.reports.evolution_report import find_meta, meta_name
from gml.models.mutators.genotype_mutator import Mutation
from gml.structures.genotype import load_genotype
from gml.utils.checkpoint import (check_state_dict_fits, load_checkpoint_file,
                                  state_dict_of)
from gml.utils.fileio import atomic_dump_json

from .child_trainer import train_epochs


class ChildScorer:
    """Train one child of a morphism evolution and record it.

    Args:
        algorithm: the ``gml.NetworkMorphism`` that builds children and
            fills them from their parents.
        models_dir: where ``<name>.pth`` and ``<name>_meta.json`` go.
        train_set: the training dataset (unsharded: a child trains alone).
        batch_size: of the training loader.
        optim_cfg: an ``optim_wrapper`` config; a fresh optimizer per child.
        val_loader: a local validation loader.
        evaluator: mmengine evaluator of ``val_loader``.
        score_key: the validation metric that scores a child.
        lr_schedule: ``'cosine'`` or ``'constant'``.
        input_shape: ``(C, H, W)`` for counting FLOPs.
        fitness: ``(score, params, flops) -> fitness``.
        fitness_in_names: Evolly's ``<name>_<fitness>_meta.json`` names.
        seed_checkpoint: weights of the seed model (id 0), or None.
        logger: where a line per child goes.
    """

    def __init__(self, algorithm, models_dir: str, train_set,
                 batch_size: int, optim_cfg: Dict, val_loader, evaluator,
                 score_key: str, lr_schedule: str, input_shape,
                 fitness: Callable[[float, int, int], float],
                 fitness_in_names: bool, seed_checkpoint: Optional[str],
                 logger):
        self.algorithm = algorithm
        self.models_dir = models_dir
        self.train_set, self.batch_size = train_set, batch_size
        self.optim_cfg = optim_cfg
        self.val_loader, self.evaluator = val_loader, evaluator
        self.score_key, self.lr_schedule = score_key, lr_schedule
        self.input_shape = tuple(input_shape)
        self.fitness = fitness
        self.fitness_in_names = fitness_in_names
        self.seed_checkpoint = seed_checkpoint
        self.logger = logger

    def load(self, record: Dict):
        """The trained model of ``record``."""
        model = self.algorithm.build_child(
            load_genotype(record['genotype']), 0)
        state = torch.load(record['checkpoint'], map_location='cpu')
        model.load_state_dict(state['state_dict'])
        return model

    def kept(self, name: str, config: Dict) -> Optional[Dict]:
        """The metadata of ``name`` trained before a kill with the same
        ``config``, or None."""
        meta_path = find_meta(self.models_dir, name)
        if not meta_path:
            return None
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get('config') == json.loads(json.dumps(config)) and \
                osp.isfile(meta['checkpoint']):
            return meta
        return None

    def __call__(self, spec: Dict, name: str, config: Dict,
                 by_id: Dict[int, Dict]) -> Dict:
        """Train child ``spec`` (``config``: what determines its result);
        its metadata (``by_id``: the records of possible parents)."""
        meta = self.kept(name, config)
        if meta is not None:
            self.logger.info(f'{name}: kept from a previous run')
            return meta
        seed = config['seed']
        genotype = load_genotype(spec['genotype'])
        model = self.algorithm.build_child(genotype, seed)
        inheritance, max_abs_diff = None, None
        if spec['parent'] is not None:
            parent = self.load(by_id[spec['parent']]).eval()
            result = self.algorithm.inherit(
                parent, model, Mutation(**spec['mutation']), genotype,
                torch.Generator().manual_seed(seed))
            inheritance = result.to_dict()
            max_abs_diff = self.max_abs_diff(parent, model)
        elif spec['id'] == 0 and self.seed_checkpoint:
            state = state_dict_of(load_checkpoint_file(
                self.seed_checkpoint, key='train_cfg.seed_checkpoint'))
            check_state_dict_fits(model, state, self.seed_checkpoint)
            model.load_state_dict(state)
        log = train_epochs(model, self.train_set, self.batch_size,
                           self.optim_cfg, config['epochs'], seed,
                           self.val_loader, self.evaluator, self.score_key,
                           self.lr_schedule)
        params = count_params(model)
        flops = count_flops(model, self.input_shape)
        score = log['val_metric'][-1] if log['val_metric'] else 0.0
        ckpt = osp.join(self.models_dir, f'{name}.pth')
        meta = dict(
            train_loss=log['train_loss'], val_metric=log['val_metric'],
            config=config, parameters=params, flops=flops,
            training_time=log['training_time'],
            fitness=self.fitness(score, params, flops),
            # gml's additions
            id=spec['id'], name=name, generation=spec['generation'],
            parent=spec['parent'], mutation=spec['mutation'],
            genotype=spec['genotype'], key=genotype.key(), score=score,
            params=params, inheritance=inheritance,
            max_abs_diff=max_abs_diff, rank=get_rank(), checkpoint=ckpt)
        tmp = ckpt + '.tmp'
        torch.save({'state_dict': model.state_dict(),
                    'meta': dict(genotype=spec['genotype'],
                                 fitness=meta['fitness'])}, tmp)
        os.replace(tmp, ckpt)
        atomic_dump_json(meta, osp.join(self.models_dir, meta_name(
            name, meta['fitness'], self.fitness_in_names)))
        mutation = (spec['mutation'] or {}).get('text', 'seed')
        self.logger.info(
            f'{name} (rank {get_rank()}): {mutation}; {self.score_key}='
            f'{score:.2f}, fitness {meta["fitness"]:.4f}, '
            f'{params / 1e3:.1f} K params, {log["training_time"]:.1f} s'
            + ('' if max_abs_diff is None else
               f', |child - parent| = {max_abs_diff:.2g} before training'))
        return meta

    @torch.no_grad()
    def max_abs_diff(self, parent, child) -> float:
        """How far the child's logits are from the parent's on the first
        validation batch, before training (eval mode)."""
        batch = next(iter(self.val_loader))
        out = []
        for model in (parent, child):
            model.eval()
            data = model.data_preprocessor(batch, False)
            out.append(model(data['inputs'], mode='tensor'))
        return float((out[0] - out[1]).abs().max())
