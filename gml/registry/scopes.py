"""Make model configs build under the right OpenMMLab scope.

A dict ``type='mmpretrain.ImageClassifier'`` only names where its own class
lives; the sub-configs it builds (``type='LinearClsHead'``...) are looked up
in the *default* scope. ``normalize_scopes`` rewrites such a dict to
``_scope_='mmpretrain', type='ImageClassifier'`` so mmengine switches scope
while building it and its children, exactly as a hand-written ``_scope_``
would. ``mmcls`` (the old toolbox's scope) becomes ``mmpretrain``.

Unscoped model types that gml and mmengine lack (``type='YOLOV3'`` in a
config inherited from mmdet) get the scope of the zoo that registers them,
so their children resolve in that zoo too.
"""
import copy
from importlib import import_module
from importlib.util import find_spec
from typing import Any, Optional

from mmengine.registry import Registry

from gml.utils.errors import ConfigError

#: scopes written in old configs, and the scope that replaced them.
LEGACY_SCOPES = {'mmcls': 'mmpretrain'}
#: model zoos searched, in order, for a type that gml and mmengine lack.
ZOO_SCOPES = ('mmpretrain', 'mmdet')


def missing_detection_stack() -> Optional[str]:
    """What of the detection stack this install lacks, or None.

    The core install has mmcv-lite, whose ``mmcv`` has no compiled ops;
    ``mmdet.models`` imports ``mmcv._ext`` (see tools/install.sh).
    """
    if find_spec('mmdet') is None:
        return 'mmdet is not installed'
    if find_spec('mmcv') is None or find_spec('mmcv._ext') is None:
        return 'mmcv has no compiled ops (mmcv._ext: the core install has mmcv-lite)'
    return None


def require_detection(what: str) -> None:
    """Raise a one-line :class:`ConfigError` if ``what`` needs mmdet and
    this install lacks it, naming the command that installs it."""
    missing = missing_detection_stack()
    if missing is not None:
        raise ConfigError(
            f'{what} needs the detection stack, but {missing}; install it '
            'with `make install-detection` (or `bash tools/install.sh '
            '--detection`: builds full mmcv once, 7-15 min on 2 cores)')


def resolve_scope(scope: Optional[str]) -> Optional[str]:
    """Map a legacy scope name to the package that replaced it."""
    return LEGACY_SCOPES.get(scope, scope)


def _scope_of(registry: Registry, key: str) -> Optional[str]:
    """The zoo that itself registers ``key`` when gml/mmengine do not.

    Only a zoo's own entries count: mmcv's layers (``BN``, ``ReLU``...) sit in
    mmengine's root and are found through a zoo's parent, but their configs
    go to mmcv's ``build_norm_layer`` & co., which reject a ``_scope_`` key.
    """
    reg = registry
    while reg is not None:
        if key in reg._module_dict:
            return None
        reg = reg.parent
    root = registry._get_root_registry()
    for zoo in ZOO_SCOPES:
        if zoo == 'mmdet' and missing_detection_stack() is not None:
            continue  # its registry imports fine, its models would not
        try:
            import_module(f'{zoo}.registry')
        except ImportError:
            continue
        child = root._children.get(zoo)
        if child is None:
            continue
        child.import_from_location()
        if key in child._module_dict:
            return zoo
    return None


def _normalize(node: Any, registry: Optional[Registry], scope: str) -> Any:
    if isinstance(node, (list, tuple)):
        return type(node)(_normalize(v, registry, scope) for v in node)
    if not isinstance(node, dict):
        return node
    node_type = node.get('type')
    if isinstance(node_type, str) and '_scope_' not in node:
        prefix, key = Registry.split_scope_key(node_type)
        prefix = resolve_scope(prefix)
        if prefix == 'mmdet':
            require_detection(f"type='{node_type}'")
        if prefix in ZOO_SCOPES:
            node['_scope_'], node['type'] = prefix, key
        elif prefix is None and scope == 'gml' and registry is not None:
            zoo = _scope_of(registry, key)
            if zoo is not None:
                node['_scope_'] = zoo
    if isinstance(node.get('_scope_'), str):
        node['_scope_'] = resolve_scope(node['_scope_'])
        scope = node['_scope_']
    elif isinstance(node_type, str) and node_type.startswith('gml.'):
        scope = 'gml'
    for k, v in node.items():
        if k not in ('type', '_scope_'):
            node[k] = _normalize(v, registry, scope)
    return node


def normalize_scopes(cfg: Any,
                     registry: Optional[Registry] = None,
                     scope: str = 'gml') -> Any:
    """Return a copy of ``cfg`` with scope prefixes turned into ``_scope_``.

    Args:
        cfg: a config dict (or list of them).
        registry: when given, unscoped types missing from gml/mmengine are
            looked up in the zoos of this registry's kind (e.g. MODELS).
        scope: the scope the config is built under.
    """
    return _normalize(copy.deepcopy(cfg), registry, scope)
