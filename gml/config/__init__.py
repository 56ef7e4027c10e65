"""Configs: loading a file with its overrides (``--cfg-options``), the old
toolbox's dialect, and its ``evaluation.metric`` names. Above
:mod:`gml.registry` (it builds nothing, but normalizes a model's scopes
with it); submodules load on first use so that the overrides parser
imports without mmengine."""
import importlib

_EXPORTS = {
    'load_config': 'loading', 'user_key': 'loading',
    'RUNNER_KEYS': 'loading', 'parse_cfg_options': 'overrides',
    'translate_legacy': 'legacy', 'is_legacy': 'legacy',
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f'.{_EXPORTS[name]}', __name__),
                       name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
