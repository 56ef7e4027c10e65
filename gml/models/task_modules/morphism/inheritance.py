"""A mutated child's weights from its parent's.

The parent (a ``GenotypeClassifier``) is first transformed towards the
child where a function-preserving transform exists (widening with the
same ``WidenPlan`` as ``net2wider``/``r2wider``, identity blocks as in
``net2deeper``/``r2deeper``, zero-padded kernels); then every tensor of
the child whose name and shape match is copied, and the rest keep the
child's fresh initialisation and are reported.
"""
import copy
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import torch
import torch.nn as nn

from .errors import MorphismError
from gml.structures.genotype import Genotype
from .graph import Reader, WidenTarget
from gml.models.mutators.genotype_mutator import Mutation
from .transforms import apply_widen, pad_kernel
from .widen_plan import WidenPlan

#: how the new units of a growing mutation start.
INIT_METHODS = ('net2net', 'r2r', 'random')


@dataclass
class Inheritance:
    """What a child got from its parent.

    ``inherited``: child tensors copied from the parent (after the
    transform); ``reinitialized``: child tensors that kept their fresh
    initialisation; ``dropped``: parent tensors the child has no place for;
    ``identity``: new tensors set to compute the identity (deepening);
    ``function_preserving``: whether the child computes the parent's
    function (eval mode) by construction.

    Args:
        inherited, reinitialized, dropped, identity: tensor names, as above.
        function_preserving: as above.
    """
    inherited: List[str] = field(default_factory=list)
    reinitialized: List[str] = field(default_factory=list)
    dropped: List[str] = field(default_factory=list)
    identity: List[str] = field(default_factory=list)
    function_preserving: bool = False

    def to_dict(self) -> Dict:
        return dict(inherited=len(self.inherited),
                    reinitialized=self.reinitialized,
                    dropped=self.dropped,
                    identity=len(self.identity),
                    function_preserving=self.function_preserving)


def _readers_of_level(model, genotype: Genotype, branch: str,
                      level_index: int, offset: int) -> List[Reader]:
    """The layers reading the output of level ``level_index`` of
    ``branch`` (made explicit in ``model``), at channel ``offset``."""
    backbone = model.backbone
    levels = list(genotype.levels(branch).values())
    if level_index + 1 < len(levels):
        readers = []
        for b in levels[level_index + 1]:
            block = backbone.block(b.block_id)
            block.make_shortcut_explicit_()
            path = 'backbone.' + backbone.block_path(b.block_id)
            readers += [Reader(f'{path}.{r}', offset) for r in block.readers
                        if _has(block, r)]
        return readers
    fc = getattr(model.head, 'fc', None)
    if not isinstance(fc, nn.Linear):
        raise MorphismError('the head has no Linear `fc` reading the '
                            'backbone features')
    before = 0
    for name in genotype.branches:
        if name == branch:
            break
        before += genotype.branch_width(name)
    return [Reader('head.fc', before + offset, 1)]


def _has(module: nn.Module, path: str) -> bool:
    try:
        module.get_submodule(path)
        return True
    except AttributeError:
        return False


def _position(genotype: Genotype, block_id: int):
    """(branch, level index, channel offset of the block in its level)."""
    branch, block = genotype.find(block_id)
    for i, level in enumerate(genotype.levels(branch).values()):
        offset = 0
        for b in level:
            if b.block_id == block_id:
                return branch, i, offset
            offset += b.filters_out
    raise KeyError(block_id)


def _widen_block(tmp, genotype, mutation, method, generator):
    (bid, ) = mutation.block_ids
    branch, index, offset = _position(genotype, bid)
    backbone = tmp.backbone
    block = backbone.block(bid)
    block.make_shortcut_explicit_()
    path = 'backbone.' + backbone.block_path(bid)
    for conv, norm, reader in block.inner:  # layers as wide as the output
        apply_widen(tmp, WidenTarget(
            [f'{path}.{conv}'], mutation.old, [Reader(f'{path}.{norm}', 0)],
            consumers=[Reader(f'{path}.{reader}', 0)]), WidenPlan(
                mutation.old, mutation.new, method, generator=generator))
    target = WidenTarget(
        producers=[f'{path}.{conv}' for conv, _ in block.producers
                   if _has(block, conv)],
        old=mutation.old,
        norms=[Reader(f'{path}.{norm}', 0) for conv, norm in block.producers
               if _has(block, norm)],
        consumers=_readers_of_level(tmp, genotype, branch, index, offset))
    plan = WidenPlan(mutation.old, mutation.new, method,
                     generator=generator)
    apply_widen(tmp, target, plan)


def _add_block(tmp, genotype, child_genotype, mutation, method, generator):
    (bid, ) = mutation.block_ids
    branch, index, offset = _position(child_genotype, bid)
    width = child_genotype.find(bid)[1].filters_out
    target = WidenTarget(producers=[], old=offset, consumers=_readers_of_level(
        tmp, genotype, branch, index, 0))
    # the next level reads the new block with zero weights (r2r with
    # init_scale 0), or random ones for the baseline
    plan = WidenPlan(offset, offset + width,
                     'random' if method == 'random' else 'r2r',
                     init_scale=1.0 if method == 'random' else 0.0,
                     generator=generator)
    apply_widen(tmp, target, plan)


def _pad_kernels(tmp, mutation, new_size):
    (bid, ) = mutation.block_ids
    block = tmp.backbone.block(bid)
    for name in block.kernel_convs:
        conv = block.get_submodule(name)
        conv.weight = nn.Parameter(pad_kernel(conv.weight, new_size))


@torch.no_grad()
def inherit(parent: nn.Module, child: nn.Module, mutation: Mutation,
            child_genotype: Genotype, method: str = 'r2r',
            generator: Optional[torch.Generator] = None) -> Inheritance:
    """Fill ``child`` (freshly built from ``child_genotype``) with the
    weights of ``parent`` (built from the parent genotype) after
    ``mutation``.

    Args:
        parent / child: ``GenotypeClassifier`` models.
        mutation: what changed (from ``GenotypeMutator``).
        child_genotype: the child's genotype.
        method: how a growing mutation's new units start: ``'net2net'``,
            ``'r2r'`` (function-preserving) or ``'random'`` (the baseline).
        generator: RNG of the transform.
    """
    if method not in INIT_METHODS:
        raise MorphismError(f'unknown init method {method!r}; expected one '
                            f'of {INIT_METHODS}')
    genotype = parent.backbone.genotype
    tmp = copy.deepcopy(parent)
    preserving = mutation.preserving and method != 'random'
    if mutation.kind == 'filters' and mutation.new > mutation.old:
        _widen_block(tmp, genotype, mutation, method, generator)
    elif mutation.kind == 'add_block':
        _add_block(tmp, genotype, child_genotype, mutation, method,
                   generator)
    elif mutation.kind == 'kernel_size' and mutation.new > mutation.old:
        _pad_kernels(tmp, mutation, mutation.new)

    source = tmp.state_dict()
    target = child.state_dict()
    result = Inheritance(function_preserving=preserving)
    for key, value in target.items():
        if key in source and source[key].shape == value.shape:
            value.copy_(source[key])
            result.inherited.append(key)
        else:
            result.reinitialized.append(key)
    result.dropped = [k for k in source if k not in target]

    new_keys = set()
    if mutation.kind in ('deepen', 'add_block'):
        new_keys = {k for k in target if any(
            f'.b{bid}.' in k for bid in mutation.block_ids)}
    if mutation.kind == 'deepen' and method != 'random':
        for bid in mutation.block_ids:
            _, _, offset = _position(child_genotype, bid)
            child.backbone.block(bid).init_identity_(offset, method,
                                                     generator)
        result.identity = sorted(new_keys)
        result.reinitialized = [k for k in result.reinitialized
                                if k not in new_keys]
    if any(k not in new_keys for k in result.reinitialized):
        result.function_preserving = False
    if mutation.kind == 'deepen' and not getattr(
            child.backbone, 'idempotent_act', True):
        # the identity block's own activation changes its input
        result.function_preserving = False
    return result
