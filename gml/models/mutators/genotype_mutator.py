"""Mutation operators on genotypes (Evolly's, with network-morphism
semantics).

Each operator returns a child genotype and a :class:`Mutation` saying what
changed; ``gml.models.task_modules.morphism.inheritance`` turns the parent's weights into
the child's. Operators that map to a function-preserving transform:

- ``filters`` up: Net2WiderNet / R2WiderR on the block's output units;
- ``deepen``: a copy of a depth level, stride 1, inserted after it and
  initialised to the identity (Net2DeeperNet / R2DeeperR);
- ``add_block``: a block beside the others of a level, read with zero
  weights by the next level;
- ``kernel_size`` up: the kernel padded with zeros;
- ``dropout``: no weights change (eval mode is unaffected).

The others (``filters`` down, ``kernel_size`` down, ``strides``,
``block_type``, ``remove_block``, ``remove_depth``) cannot preserve the
function: the child inherits every tensor whose shape still fits.
"""
import random
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from gml.utils.errors import ConfigError

from gml.structures.genotype import BLOCK_TYPES, Block, Genotype

MUTATIONS = ('filters', 'deepen', 'add_block', 'remove_block',
             'remove_depth', 'kernel_size', 'strides', 'dropout',
             'block_type')
#: mutation kinds that keep the function when they grow the network.
PRESERVING = ('deepen', 'add_block', 'dropout')


@dataclass
class Mutation:
    """What a mutation changed (written to the child's metadata).

    Args:
        kind: the mutation (``'filters'``, ``'deepen'``, ``'add_block'``,
            ``'kernel_size'``...).
        branch: the branch it changed.
        block_ids: the blocks it changed or added.
        old: the value before (a width, a kernel size...).
        new: the value after.
        text: one line for logs and the child's metadata.
    """
    kind: str
    branch: str
    block_ids: List[int] = field(default_factory=list)
    old: Optional[object] = None
    new: Optional[object] = None
    text: str = ''

    @property
    def preserving(self) -> bool:
        """Whether a function-preserving initialisation exists for it."""
        if self.kind in ('filters', 'kernel_size'):
            return self.new > self.old
        return self.kind in PRESERVING

    def to_dict(self) -> Dict:
        return asdict(self)


@dataclass
class GenotypeBounds:
    """Bounds the mutations keep to (``train_cfg.search_space`` of the
    morphism search). Not :class:`gml.hpo.space.SearchSpace`, which holds
    HPO's search arguments.

    Args:
        filters: ``(min, max)`` filters of a block.
        filters_step: a mutated block's filters are a multiple of it.
        kernel_sizes: odd kernel sizes a block may take.
        block_types: block types a block may take.
        min_depth / max_depth: depth levels per branch.
        max_width: blocks side by side in one level.
        max_strides: stride-2 levels per branch (the input's spatial size
            must survive them).
    """
    filters: Tuple[int, int] = (8, 64)
    filters_step: int = 8
    kernel_sizes: Sequence[int] = (3, 5, 7)
    block_types: Sequence[str] = BLOCK_TYPES
    min_depth: int = 1
    max_depth: int = 8
    max_width: int = 2
    max_strides: int = 2

    def __post_init__(self):
        lo, hi = self.filters
        if not 1 <= lo <= hi:
            raise ConfigError(f'search_space.filters must be (min, max) with '
                              f'1 <= min <= max, got {self.filters}')
        if any(k % 2 == 0 for k in self.kernel_sizes):
            raise ConfigError(f'search_space.kernel_sizes must be odd, got '
                              f'{list(self.kernel_sizes)}')
        bad = set(self.block_types) - set(BLOCK_TYPES)
        if bad:
            raise ConfigError(f'search_space.block_types: unknown {bad}; '
                              f'expected some of {BLOCK_TYPES}')
        if not 1 <= self.min_depth <= self.max_depth:
            raise ConfigError('search_space: need 1 <= min_depth <= '
                              f'max_depth, got {self.min_depth}, '
                              f'{self.max_depth}')

    def filter_choices(self) -> List[int]:
        lo, hi = self.filters
        step = self.filters_step
        start = max(step, -(-lo // step) * step)
        return list(range(start, hi + 1, step)) or [lo]


#: the former name, for code that imports it
SearchSpace = GenotypeBounds


def _renumber(blocks: List[Block]) -> List[Block]:
    """Depth ids 1..L in order (Evolly's update_depth_ids)."""
    depths = sorted({b.depth_id for b in blocks})
    new = {d: i + 1 for i, d in enumerate(depths)}
    return [b.with_(depth_id=new[b.depth_id]) for b in blocks]


class GenotypeMutator:
    """Draws one applicable mutation, weighted.

    Args:
        space: a :class:`GenotypeBounds` or its dict.
        weights: relative probability of each kind (see ``MUTATIONS``);
            kinds left out are never drawn.
    """

    def __init__(self, space=None, weights: Optional[Dict] = None):
        self.space = (space if isinstance(space, GenotypeBounds)
                      else GenotypeBounds(**(space or {})))
        weights = dict(weights or {k: 1.0 for k in MUTATIONS})
        bad = set(weights) - set(MUTATIONS)
        if bad:
            raise ConfigError(f'mutations: unknown kinds {sorted(bad)}; '
                              f'expected some of {MUTATIONS}')
        if not any(w > 0 for w in weights.values()):
            raise ConfigError('mutations: every weight is 0')
        self.weights = weights

    def mutate(self, genotype: Genotype, rng: random.Random
               ) -> Tuple[Genotype, Mutation]:
        """One random applicable mutation of ``genotype``."""
        kinds = [k for k, w in self.weights.items() if w > 0]
        while kinds:
            kind = rng.choices(kinds, [self.weights[k] for k in kinds])[0]
            result = getattr(self, f'_{kind}')(genotype, rng)
            if result is not None:
                return result
            kinds.remove(kind)
        raise ConfigError(f'no mutation applies to {genotype!r} within the '
                          'search space')

    # -- helpers --
    def _strides2(self, g: Genotype, branch: str) -> int:
        return sum(level[0].strides == 2
                   for level in g.levels(branch).values())

    @staticmethod
    def _child(g, branch, blocks, mutation) -> Tuple[Genotype, Mutation]:
        return g.with_branch(branch, _renumber(blocks)), mutation

    # -- operators (None when not applicable) --
    def _filters(self, g, rng):
        name, block = rng.choice(list(g.blocks()))
        choices = [f for f in self.space.filter_choices()
                   if f != block.filters_out]
        if not choices:
            return None
        new = rng.choice(choices)
        blocks = [b.with_(filters_out=new) if b is block else b
                  for b in g.branches[name]]
        return self._child(g, name, blocks, Mutation(
            'filters', name, [block.block_id], block.filters_out, new,
            f'block {block.block_id}: filters {block.filters_out} -> '
            f'{new}'))

    def _deepen(self, g, rng):
        name = rng.choice(list(g.branches))
        levels = g.levels(name)
        if len(levels) >= self.space.max_depth:
            return None
        depth = rng.choice(list(levels))
        next_id = g.max_block_id + 1
        blocks, new_ids = [], []
        for b in g.branches[name]:
            blocks.append(b.with_(depth_id=b.depth_id * 2 if
                                  b.depth_id <= depth else
                                  b.depth_id * 2 + 2))
        for b in levels[depth]:  # the copies sit between depth and depth+1
            blocks.append(b.with_(block_id=next_id, depth_id=depth * 2 + 1,
                                  strides=1))
            new_ids.append(next_id)
            next_id += 1
        return self._child(g, name, blocks, Mutation(
            'deepen', name, new_ids, depth, None,
            f'depth {depth} copied after itself as blocks {new_ids}'))

    def _add_block(self, g, rng):
        name = rng.choice(list(g.branches))
        levels = g.levels(name)
        open_levels = [d for d, lv in levels.items()
                       if len(lv) < self.space.max_width]
        if not open_levels:
            return None
        depth = rng.choice(open_levels)
        new = Block(g.max_block_id + 1, depth,
                    rng.choice(list(self.space.block_types)),
                    rng.choice(list(self.space.kernel_sizes)),
                    levels[depth][0].strides,
                    rng.choice(self.space.filter_choices()), False)
        return self._child(g, name, g.branches[name] + [new], Mutation(
            'add_block', name, [new.block_id], None, new.as_list(),
            f'block {new.block_id} added at depth {depth}'))

    def _remove_block(self, g, rng):
        name = rng.choice(list(g.branches))
        crowded = [lv for lv in g.levels(name).values() if len(lv) > 1]
        if not crowded:
            return None
        victim = rng.choice(rng.choice(crowded))
        blocks = [b for b in g.branches[name] if b is not victim]
        return self._child(g, name, blocks, Mutation(
            'remove_block', name, [victim.block_id], victim.as_list(), None,
            f'block {victim.block_id} removed'))

    def _remove_depth(self, g, rng):
        name = rng.choice(list(g.branches))
        levels = g.levels(name)
        if len(levels) <= self.space.min_depth:
            return None
        depth = rng.choice(list(levels))
        ids = [b.block_id for b in levels[depth]]
        blocks = [b for b in g.branches[name] if b.depth_id != depth]
        return self._child(g, name, blocks, Mutation(
            'remove_depth', name, ids, depth, None,
            f'depth {depth} (blocks {ids}) removed'))

    def _kernel_size(self, g, rng):
        name, block = rng.choice(list(g.blocks()))
        choices = [k for k in self.space.kernel_sizes
                   if k != block.kernel_size]
        if not choices:
            return None
        new = rng.choice(choices)
        blocks = [b.with_(kernel_size=new) if b is block else b
                  for b in g.branches[name]]
        return self._child(g, name, blocks, Mutation(
            'kernel_size', name, [block.block_id], block.kernel_size, new,
            f'block {block.block_id}: kernel {block.kernel_size} -> {new}'))

    def _strides(self, g, rng):
        name = rng.choice(list(g.branches))
        levels = g.levels(name)
        count = self._strides2(g, name)
        options = [d for d, lv in levels.items()
                   if lv[0].strides == 2 or count < self.space.max_strides]
        if not options:
            return None
        depth = rng.choice(options)
        old = levels[depth][0].strides
        new = 3 - old
        blocks = [b.with_(strides=new) if b.depth_id == depth else b
                  for b in g.branches[name]]
        return self._child(g, name, blocks, Mutation(
            'strides', name, [b.block_id for b in levels[depth]], old, new,
            f'depth {depth}: strides {old} -> {new}'))

    def _dropout(self, g, rng):
        name, block = rng.choice(list(g.blocks()))
        new = not bool(block.dropout)
        blocks = [b.with_(dropout=new) if b is block else b
                  for b in g.branches[name]]
        return self._child(g, name, blocks, Mutation(
            'dropout', name, [block.block_id], block.dropout, new,
            f'block {block.block_id}: dropout {block.dropout} -> {new}'))

    def _block_type(self, g, rng):
        name, block = rng.choice(list(g.blocks()))
        choices = [t for t in self.space.block_types
                   if t != block.block_type]
        if not choices:
            return None
        new = rng.choice(choices)
        blocks = [b.with_(block_type=new) if b is block else b
                  for b in g.branches[name]]
        return self._child(g, name, blocks, Mutation(
            'block_type', name, [block.block_id], block.block_type, new,
            f'block {block.block_id}: {block.block_type} -> {new}'))
