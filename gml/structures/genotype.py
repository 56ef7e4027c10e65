"""The genotype: an architecture as Evolly's blocks, read from and written
to yaml.

A genotype is one or more named branches, each a list of blocks
``[block_id, depth_id, block_type, kernel_size, strides, filters_out,
dropout]`` (Evolly's fields). Blocks with the same ``depth_id`` run side
by side on the same input and their outputs are concatenated; depth levels
run in increasing order. Every branch sees the input image; their globally
pooled outputs are concatenated at the end of the backbone. ``dropout`` is
Evolly's flag (``true``: a rate growing with depth, see ``GenotypeNet``) or
an explicit rate. ``block_id`` names the block's weights, so a block keeps
them through mutations that move it.

.. code-block:: yaml

    branches:
      img:
      - [1, 1, conv, 3, 1, 16, false]
      - [2, 2, resnet, 3, 2, 32, false]
      - [3, 2, conv, 5, 2, 16, true]

Evolly's own layout (``branches: [[...], ...]`` with ``branch_names``) is
read as well.
"""
from collections import OrderedDict
from dataclasses import astuple, dataclass, replace
from typing import Dict, List, Optional, Union

from gml.utils.errors import ConfigError
import yaml

from gml.utils.fileio import atomic_write_text, load_yaml

FIELDS = ('block_id', 'depth_id', 'block_type', 'kernel_size', 'strides',
          'filters_out', 'dropout')
#: block types GenotypeNet builds (see gml/models/backbones/genotype_net.py)
BLOCK_TYPES = ('conv', 'resnet')


@dataclass(frozen=True)
class Block:
    """One block of a branch (Evolly's seven fields).

    Args:
        block_id: unique within the genotype.
        depth_id: the depth level the block belongs to.
        block_type: ``'conv'`` or ``'resnet'``.
        kernel_size: the block's kernel size.
        strides: the block's stride.
        filters_out: output channels.
        dropout: a rate, or True for the level's share of the branch's
            ``max_drop_rate`` (False: none).
    """
    block_id: int
    depth_id: int
    block_type: str
    kernel_size: int
    strides: int
    filters_out: int
    dropout: Union[bool, float] = False

    def as_list(self) -> list:
        return list(astuple(self))

    def with_(self, **changes) -> 'Block':
        return replace(self, **changes)


class Genotype:
    """Branches of blocks, validated.

    Args:
        branches: ``{name: [Block or 7-field list, ...]}``.
        source: where it came from (named in error messages).
    """

    def __init__(self, branches: Dict[str, List], source: str = 'genotype'):
        self.source = source
        if not isinstance(branches, dict) or not branches:
            raise ConfigError(f'{source}: branches must be a non-empty '
                              f'mapping of name -> blocks, got {branches!r}')
        self.branches: Dict[str, List[Block]] = OrderedDict()
        for name, blocks in branches.items():
            self.branches[str(name)] = [
                b if isinstance(b, Block) else _parse_block(
                    b, f'{source}: branch {name!r} block {i}')
                for i, b in enumerate(blocks or [])]
        self._validate()

    def _validate(self) -> None:
        ids = set()
        for name, blocks in self.branches.items():
            where = f'{self.source}: branch {name!r}'
            if not blocks:
                raise ConfigError(f'{where} has no blocks')
            for b in blocks:
                if b.block_id in ids:
                    raise ConfigError(f'{where}: block_id {b.block_id} is '
                                      'used twice (ids name the weights)')
                ids.add(b.block_id)
            for depth, level in self.levels(name).items():
                strides = {b.strides for b in level}
                if len(strides) > 1:
                    raise ConfigError(
                        f'{where}: depth {depth} mixes strides '
                        f'{sorted(strides)}; blocks side by side must '
                        'output the same spatial size')

    # -- structure --
    def levels(self, branch: str) -> 'OrderedDict[int, List[Block]]':
        """Depth id -> blocks at that depth, in genotype order."""
        levels = OrderedDict()
        for b in sorted(self.branches[branch], key=lambda b: b.depth_id):
            levels.setdefault(b.depth_id, []).append(b)
        return levels

    def blocks(self):
        for name, blocks in self.branches.items():
            for b in blocks:
                yield name, b

    def find(self, block_id: int):
        for name, b in self.blocks():
            if b.block_id == block_id:
                return name, b
        raise KeyError(block_id)

    @property
    def max_block_id(self) -> int:
        return max(b.block_id for _, b in self.blocks())

    def level_width(self, branch: str, depth: int) -> int:
        return sum(b.filters_out for b in self.levels(branch)[depth])

    def branch_width(self, branch: str) -> int:
        """Channels a branch contributes to the backbone's output."""
        last = list(self.levels(branch))[-1]
        return self.level_width(branch, last)

    @property
    def out_channels(self) -> int:
        return sum(self.branch_width(n) for n in self.branches)

    def with_branch(self, branch: str, blocks: List[Block]) -> 'Genotype':
        branches = OrderedDict(self.branches)
        branches[branch] = list(blocks)
        return Genotype(branches, self.source)

    def key(self) -> str:
        """The architecture without block ids (two genotypes with the same
        key build the same network up to weight names)."""
        parts = []
        for name in self.branches:
            for depth, level in self.levels(name).items():
                parts.append(f'{name}:' + '+'.join(
                    f'{b.block_type}{b.kernel_size}s{b.strides}'
                    f'f{b.filters_out}d{b.dropout}' for b in level))
        return '|'.join(parts)

    def to_dict(self) -> Dict:
        return {'branches': {n: [b.as_list() for b in bs]
                             for n, bs in self.branches.items()}}

    def __eq__(self, other) -> bool:
        return isinstance(other, Genotype) and (
            self.to_dict() == other.to_dict())

    def __repr__(self) -> str:
        return f'Genotype({self.to_dict()["branches"]})'


def _parse_block(item, where: str) -> Block:
    if isinstance(item, dict):
        missing = [f for f in FIELDS[:-1] if f not in item]
        if missing:
            raise ConfigError(f'{where}: missing {missing}')
        item = [item.get(f, False) for f in FIELDS]
    if not isinstance(item, (list, tuple)) or len(item) != len(FIELDS):
        raise ConfigError(f'{where}: expected [{", ".join(FIELDS)}], got '
                          f'{item!r}')
    bid, depth, btype, k, s, f, drop = item

    def integer(value, name, low):
        if isinstance(value, bool) or not isinstance(value, int) or (
                value < low):
            raise ConfigError(f'{where}: {name} must be an integer >= {low}, '
                              f'got {value!r}')
        return value

    integer(bid, 'block_id', 0)
    integer(depth, 'depth_id', 1)
    if btype not in BLOCK_TYPES:
        raise ConfigError(f'{where}: block_type {btype!r} is not one of '
                          f'{BLOCK_TYPES}')
    integer(k, 'kernel_size', 1)
    if k % 2 == 0:
        raise ConfigError(f'{where}: kernel_size must be odd, got {k}')
    if s not in (1, 2) or isinstance(s, bool):
        raise ConfigError(f'{where}: strides must be 1 or 2, got {s!r}')
    integer(f, 'filters_out', 1)
    if not isinstance(drop, bool) and not (
            isinstance(drop, (int, float)) and 0 <= drop < 1):
        raise ConfigError(f'{where}: dropout must be true/false or a rate in '
                          f'[0, 1), got {drop!r}')
    return Block(bid, depth, btype, k, s, f, drop)


def load_genotype(src: Union[str, Dict, Genotype],
                  source: Optional[str] = None) -> Genotype:
    """A :class:`Genotype` from a yaml path, a dict, or a Genotype."""
    if isinstance(src, Genotype):
        return src
    if isinstance(src, str):
        data = load_yaml(src)
        if data is None:
            raise ConfigError(f'genotype file {src!r} does not exist or is '
                              'empty')
        source = src
    else:
        data = src
    source = source or 'genotype'
    if not isinstance(data, dict) or 'branches' not in data:
        raise ConfigError(f'{source}: expected a mapping with key '
                          f"'branches', got {type(data).__name__}")
    branches = data['branches']
    if isinstance(branches, (list, tuple)):  # Evolly: lists + branch_names
        names = data.get('branch_names') or [
            f'branch{i}' for i in range(len(branches))]
        if len(names) != len(branches):
            raise ConfigError(f'{source}: {len(branches)} branches but '
                              f'{len(names)} branch_names')
        branches = OrderedDict(zip(names, branches))
    return Genotype(dict(branches), source)


def dump_genotype(genotype: Genotype, path: str,
                  extra: Optional[Dict] = None) -> None:
    """Write ``genotype`` (plus ``extra`` keys, e.g. its fitness), one
    block per line."""
    atomic_write_text(path, genotype_yaml(genotype, extra))


def genotype_yaml(genotype: Genotype, extra: Optional[Dict] = None) -> str:
    lines = ['branches:']
    for name, blocks in genotype.branches.items():
        lines.append(f'  {yaml.safe_dump(name).splitlines()[0]}:')
        for b in blocks:
            flow = yaml.safe_dump(b.as_list(), default_flow_style=True)
            lines.append(f'  - {flow.strip()}')
    text = '\n'.join(lines) + '\n'
    if extra:
        text += yaml.safe_dump(extra, sort_keys=False)
    return text
