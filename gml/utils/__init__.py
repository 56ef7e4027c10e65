"""gml's utilities: errors, file I/O, distributed helpers and checkpoint
checks. Submodules load on first use so that light ones
(``gml.utils.fileio``) import without mmengine. Config loading moved to
:mod:`gml.config`, scopes and build errors to :mod:`gml.registry`, the
tools' session to :mod:`gml.apis`; their old ``gml.utils`` names are
aliases."""
import importlib

_EXPORTS = {
    'UserError': 'errors', 'ConfigError': 'errors',
    'CheckpointError': 'errors',
    'parse_cfg_options': 'gml.config.overrides',
    'load_config': 'gml.config.loading',
    'normalize_scopes': 'gml.registry.scopes',
    'atomic_write_text': 'fileio', 'atomic_write_bytes': 'fileio',
    'atomic_dump_yaml': 'fileio', 'atomic_dump_json': 'fileio',
    'load_yaml': 'fileio',
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        module = _EXPORTS[name]
        if not module.startswith('gml.'):
            module = f'{__name__}.{module}'
        return getattr(importlib.import_module(module), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
