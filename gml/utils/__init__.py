from .cfg_options import ConfigError, parse_cfg_options
from .config import load_config
from .fileio import (atomic_dump_json, atomic_dump_yaml, atomic_write_bytes,
                     atomic_write_text)
from .scopes import normalize_scopes

__all__ = [
    'ConfigError', 'parse_cfg_options', 'load_config', 'normalize_scopes',
    'atomic_write_text', 'atomic_write_bytes', 'atomic_dump_yaml',
    'atomic_dump_json'
]
