"""Building the search loops' strategy objects (variation operators,
parent selection) from ``train_cfg``, with errors that name the key."""
from typing import Mapping, Optional

from gml.registry import TASK_UTILS
from gml.utils.errors import ConfigError


def build_strategy(cfg: Optional[Mapping], default: Mapping, key: str):
    """The strategy object ``cfg`` (``default`` when None) describes; a
    bad one is a :class:`ConfigError` naming ``key`` (e.g.
    ``train_cfg.mutation``)."""
    cfg = dict(default if cfg is None else cfg)
    if 'type' not in cfg:
        raise ConfigError(f'{key}: no type given; expected e.g. '
                          f"dict(type={default['type']!r})")
    try:
        return TASK_UTILS.build(cfg)
    except ConfigError as e:  # the registry's explanation: re-rooted
        text, root = str(e), f'{TASK_UTILS.name}.'
        raise ConfigError(f'{key}.{text[len(root):]}' if text.startswith(root)
                          else f'{key}: {text}') from e
    except (TypeError, ValueError, KeyError) as e:
        # mmengine prefixes the class and its file: keep the reason only
        reason = str(e).split('.py: ')[-1]
        raise ConfigError(f'{key}: {reason}') from e


def build_selection(cfg: Optional[Mapping], default: Mapping,
                    objectives: Mapping[str, str]):
    """``train_cfg.selection``, checked against the loop's objectives."""
    selection = build_strategy(cfg, default, 'train_cfg.selection')
    try:
        selection.check(objectives)
    except ValueError as e:
        raise ConfigError(f'train_cfg.selection: {e}') from e
    return selection
