"""Subnet yaml files: what a search writes and a retraining reads.

The format is one entry per searchable layer, keyed by its module path in
the model (MMRazor's format)::

    backbone.layers.0.0:
      chosen: shuffle_7x7
    backbone.layers.0.1:
      chosen: shuffle_xception

``name: choice`` and the old toolbox's ``chosen: [choice]`` are read too.
"""
import os.path as osp
from typing import Any, Dict, Mapping, Optional, Sequence, Union

import yaml

from gml.utils.errors import UserError
from gml.utils.fileio import atomic_write_text

Subnet = Dict[str, Any]


class SubnetError(UserError):
    """A subnet does not fit the search space (the message says where)."""


def _chosen(name: str, entry: Any, source: str) -> Any:
    if isinstance(entry, Mapping):
        if 'chosen' not in entry:
            raise SubnetError(f'{source}: entry {name!r} has no `chosen` key '
                              f'(got keys {sorted(entry)})')
        entry = entry['chosen']
    if isinstance(entry, (list, tuple)):
        if len(entry) != 1:
            raise SubnetError(f'{source}: entry {name!r} must choose exactly '
                              f'one candidate, got {list(entry)}')
        entry = entry[0]
    return entry


SPOS_FORMAT = 'a SPOS subnet (`LAYER: {chosen: CHOICE}` per layer)'
DMCP_FORMAT = ('a DMCP structure (`widths: {LAYER: WIDTH}`, '
               'model_sample/subnet.yaml)')


def file_kind(data: Any) -> Optional[str]:
    """Which algorithm's structure file ``data`` (a loaded yaml) is:
    :data:`SPOS_FORMAT`, :data:`DMCP_FORMAT`, or None if neither."""
    if not isinstance(data, Mapping) or not data:
        return None
    if isinstance(data.get('widths'), Mapping):
        return DMCP_FORMAT
    if all(isinstance(v, Mapping) and 'chosen' in v for v in data.values()):
        return SPOS_FORMAT
    return None


def parse_subnet(data: Any, source: str = 'subnet') -> Subnet:
    """Normalize a loaded yaml/dict to ``{layer name: choice}``."""
    if file_kind(data) == DMCP_FORMAT:
        raise SubnetError(f'{source}: this file is {DMCP_FORMAT}, not '
                          f'{SPOS_FORMAT}')
    if not isinstance(data, Mapping) or not data:
        raise SubnetError(f'{source}: expected a mapping of layer name to '
                          f'`chosen: CHOICE`, got {type(data).__name__}')
    return {str(name): _chosen(str(name), entry, source)
            for name, entry in data.items()}


def load_subnet(path: str) -> Subnet:
    """Read a subnet yaml file (errors name the file)."""
    if not osp.isfile(path):
        raise SubnetError(f'subnet yaml {path!r} does not exist')
    with open(path) as f:
        try:
            data = yaml.safe_load(f)
        except yaml.YAMLError as e:
            raise SubnetError(f'subnet yaml {path!r} is not valid yaml: '
                              f'{e}') from None
    return parse_subnet(data, source=path)


def subnet_from_cfg(mutable_cfg: Union[str, Mapping]) -> Subnet:
    """``mutable_cfg`` as configs give it: a yaml path or a dict."""
    if isinstance(mutable_cfg, str):
        return load_subnet(mutable_cfg)
    return parse_subnet(dict(mutable_cfg), source='mutable_cfg')


def dump_subnet(subnet: Mapping[str, Any], path: str,
                extra: Optional[Mapping[str, Any]] = None) -> None:
    """Write ``subnet`` atomically; ``extra`` goes into leading comments."""
    data = {name: {'chosen': choice} for name, choice in subnet.items()}
    # metrics are informative only: comments keep them out of the mapping.
    header = ''.join(f'# {k}: {v}\n' for k, v in (extra or {}).items())
    atomic_write_text(path, header + yaml.safe_dump(data, sort_keys=False))


def check_subnet_names(subnet: Mapping[str, Any], names: Sequence[str],
                       source: str = 'subnet') -> None:
    """Raise :class:`SubnetError` unless ``subnet`` names exactly the
    blocks ``names``."""
    missing = [n for n in names if n not in subnet]
    unknown = [n for n in subnet if n not in names]
    if missing or unknown:
        parts = [f'{source}: has {len(subnet)} blocks, the search space has '
                 f'{len(names)}']
        if missing:
            parts.append(f'missing blocks: {missing[:5]}'
                         + (' ...' if len(missing) > 5 else ''))
        if unknown:
            parts.append(f'unknown blocks: {unknown[:5]}'
                         + (' ...' if len(unknown) > 5 else ''))
        raise SubnetError('; '.join(parts))


def validate_subnet(subnet: Mapping[str, Any],
                    search_space: Mapping[str, Sequence[Any]],
                    source: str = 'subnet') -> None:
    """Raise :class:`SubnetError` unless ``subnet`` names every layer of
    ``search_space`` exactly once with one of its allowed choices."""
    check_subnet_names(subnet, list(search_space), source)
    for name, choices in search_space.items():
        if subnet[name] not in choices:
            raise SubnetError(
                f'{source}: block {name!r} chooses {subnet[name]!r}, which '
                f'does not exist; allowed choices: {list(choices)}')
