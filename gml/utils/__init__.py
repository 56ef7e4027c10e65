"""gml's utilities. Submodules load on first use so that light ones
(``gml.utils.fileio``) import without mmengine."""
import importlib

_EXPORTS = {
    'UserError': 'errors', 'ConfigError': 'errors',
    'CheckpointError': 'errors', 'parse_cfg_options': 'cfg_options',
    'load_config': 'config', 'normalize_scopes': 'scopes',
    'atomic_write_text': 'fileio', 'atomic_write_bytes': 'fileio',
    'atomic_dump_yaml': 'fileio', 'atomic_dump_json': 'fileio',
    'load_yaml': 'fileio',
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f'.{_EXPORTS[name]}', __name__),
                       name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
