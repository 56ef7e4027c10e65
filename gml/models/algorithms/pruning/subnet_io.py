"""Write and read pruned structures (``{layer name: width}``).

A structure is written twice: ``subnet.npy`` (the widths as an int array, in
the supernet's layer order, as DMCP published them) and ``subnet.yaml``
(readable: layer names, widths and the FLOPs they cost). Either file is a
valid ``algorithm.mutable_cfg``; both are written atomically.
"""
import io
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
import yaml

from gml.config.overrides import ConfigError
from gml.utils.fileio import atomic_dump_yaml, atomic_write_bytes

SUBNET_DIR = 'model_sample'


def save_subnet(widths: Dict[str, int], out_dir: str,
                meta: Optional[dict] = None) -> Dict[str, str]:
    """Write ``out_dir/subnet.npy`` and ``out_dir/subnet.yaml``."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(list(widths.values()), dtype=np.int64))
    npy, yml = osp.join(out_dir, 'subnet.npy'), osp.join(out_dir,
                                                        'subnet.yaml')
    atomic_write_bytes(npy, buf.getvalue())
    doc = dict(meta or {})
    doc['widths'] = {name: int(w) for name, w in widths.items()}
    atomic_dump_yaml(doc, yml)
    return dict(npy=npy, yaml=yml)


def load_subnet(path: str, layer_names: List[str],
                max_widths: Dict[str, int]) -> Dict[str, int]:
    """Read a structure and check it fits the supernet.

    Raises:
        ConfigError (a ValueError): missing or unreadable file, unknown or
            missing layer, or a width outside ``[1, max]``; the message names
            the file and the layer. The tools print it as a one-line error.
    """
    if not osp.isfile(path):
        raise ConfigError(f'mutable_cfg {path!r} does not exist')
    if path.endswith('.npy'):
        widths = _read_npy(path, layer_names)
    elif path.endswith(('.yaml', '.yml')):
        widths = _read_yaml(path)
    else:
        raise ConfigError(f'mutable_cfg {path!r}: expected a .npy or .yaml '
                         'file written by DMCP (model_sample/subnet.*)')
    unknown = [n for n in widths if n not in max_widths]
    if unknown:
        raise ConfigError(
            f'mutable_cfg {path}: layer {unknown[0]!r} does not exist in the '
            f'model; its layers are {layer_names}')
    missing = [n for n in layer_names if n not in widths]
    if missing:
        raise ConfigError(f'mutable_cfg {path}: no width for layer '
                         f'{missing[0]!r} (missing: {missing})')
    for name in layer_names:
        width = widths[name]
        if isinstance(width, bool) or not isinstance(width, int) or \
                not 1 <= width <= max_widths[name]:
            raise ConfigError(
                f'mutable_cfg {path}: layer {name!r} width {width!r} is '
                f'outside [1, {max_widths[name]}] (the layer maximum)')
    return {name: widths[name] for name in layer_names}


def _read_npy(path: str, layer_names: List[str]) -> Dict[str, int]:
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise ConfigError(f'mutable_cfg {path}: not a numeric .npy ({e})')
    if arr.ndim != 1 or len(arr) != len(layer_names):
        raise ConfigError(
            f'mutable_cfg {path}: expected {len(layer_names)} widths (one '
            f'per layer, in the order {layer_names}), got shape {arr.shape}')
    return {name: int(w) for name, w in zip(layer_names, arr)}


def _read_yaml(path: str) -> Dict[str, int]:
    with open(path) as f:
        try:
            doc = yaml.safe_load(f)
        except yaml.YAMLError as e:
            raise ConfigError(f'mutable_cfg {path}: invalid yaml: {e}')
    from gml.structures.subnet import DMCP_FORMAT, SPOS_FORMAT, file_kind
    if file_kind(doc) == SPOS_FORMAT:
        raise ConfigError(f'mutable_cfg {path}: this file is {SPOS_FORMAT}, '
                          f'not {DMCP_FORMAT}')
    if isinstance(doc, dict) and 'widths' in doc:
        doc = doc['widths']
    if not isinstance(doc, dict):
        raise ConfigError(f'mutable_cfg {path}: expected a mapping '
                         '`widths: {layer name: width}`')
    return dict(doc)
