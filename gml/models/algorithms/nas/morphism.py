"""Network morphism: children are mutated genotypes that inherit weights.

The algorithm a morphism evolution's config names as its ``model``. It owns
what makes a child: the seed genotype, the mutation operator and its search
bounds, and how a child's weights come from its parent's (Net2Net, R2R or
none). The generation driver, fitness and child training stay with the
search loop (``gml.MorphismEvolutionLoop``), as SPOS's supernet training
and its search loop are apart.
"""
import copy
import random
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn

from gml.models.task_modules.morphism.inheritance import INIT_METHODS, Inheritance, inherit
from gml.models.mutators.genotype_mutator import GenotypeMutator, Mutation
from gml.registry import MODELS
from gml.structures.genotype import Genotype, load_genotype

from ..base import BaseAlgorithm


def _type_name(cfg: Dict) -> str:
    return str(cfg.get('type', '')).split('.')[-1]


@MODELS.register_module()
class NetworkMorphism(BaseAlgorithm):
    """Evolve a ``gml.GenotypeClassifier`` by function-preserving mutations.

    ``self.architecture`` is the seed network (what ``tools/train.py``
    trains with this config); :meth:`build_child` builds any other genotype
    from the same model config, :meth:`mutate` draws a child genotype and
    :meth:`inherit` fills a child with its parent's weights.

    Args:
        model: a ``gml.GenotypeClassifier`` config; its
            ``backbone.genotype`` is the seed.
        init: how new units of a growing mutation start: ``'r2r'``,
            ``'net2net'`` (function-preserving) or ``'random'``.
        mutations: relative weight of each mutation kind (see
            ``gml.models.mutators.genotype_mutator.MUTATIONS``); ``None``: all alike.
        search_space: the genotypes' bounds (see ``GenotypeBounds``).
        data_preprocessor: defaults to the model config's one.
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 model: Dict,
                 init: str = 'r2r',
                 mutations: Optional[Dict[str, float]] = None,
                 search_space: Optional[Dict] = None,
                 data_preprocessor=None,
                 init_cfg: Optional[Dict] = None):
        # children are built from the config, so a built module won't do;
        # argument errors are ValueErrors: the registry names the key path
        if not isinstance(model, dict) or \
                _type_name(model) != 'GenotypeClassifier':
            found = (model.get('type') if isinstance(model, dict)
                     else type(model).__name__)
            raise ValueError("model must be a 'gml.GenotypeClassifier' "
                             f'config, got {found!r}')
        if init not in INIT_METHODS:
            raise ValueError(f'init must be one of {INIT_METHODS}, got '
                             f'{init!r}')
        child_cfg = copy.deepcopy(dict(model))
        if 'data_preprocessor' not in child_cfg and \
                isinstance(data_preprocessor, dict):
            child_cfg['data_preprocessor'] = copy.deepcopy(data_preprocessor)
        super().__init__(model, data_preprocessor, init_cfg)
        self.child_cfg = child_cfg
        self.init = init
        self.mutator = GenotypeMutator(search_space, mutations)
        self.seed_genotype = load_genotype(
            child_cfg['backbone']['genotype'],
            source='model.backbone.genotype')

    def build_child(self, genotype: Genotype, seed: int) -> nn.Module:
        """A fresh ``GenotypeClassifier`` of ``genotype``, initialised from
        ``seed`` (the same seed builds the same weights)."""
        cfg = copy.deepcopy(self.child_cfg)
        cfg['backbone'] = dict(cfg['backbone'], genotype=genotype.to_dict())
        torch.manual_seed(seed)
        return MODELS.build(cfg)

    def mutate(self, genotype: Genotype, rng: random.Random
               ) -> Tuple[Genotype, Mutation]:
        """One random applicable mutation within the search space."""
        return self.mutator.mutate(genotype, rng)

    def inherit(self, parent: nn.Module, child: nn.Module,
                mutation: Mutation, child_genotype: Genotype,
                generator: Optional[torch.Generator] = None) -> Inheritance:
        """Fill ``child`` with ``parent``'s weights after ``mutation``,
        function-preserving where the mutation and ``init`` allow."""
        return inherit(parent, child, mutation, child_genotype, self.init,
                       generator)
