"""Building the search loops' strategy objects (variation operators,
parent selection, breeding) from ``train_cfg``, with errors that name the
key."""
from typing import Mapping, Optional

from gml.registry import TASK_UTILS
from gml.utils.errors import ConfigError


def build_strategy(cfg: Optional[Mapping], default: Mapping, key: str,
                   default_args: Optional[Mapping] = None):
    """The strategy object ``cfg`` (``default`` when None) describes,
    built with ``default_args`` (what the loop knows at run time); a bad
    one is a :class:`ConfigError` naming ``key`` (e.g.
    ``train_cfg.mutation``)."""
    cfg = dict(default if cfg is None else cfg)
    if 'type' not in cfg:
        raise ConfigError(f'{key}: no type given; expected e.g. '
                          f"dict(type={default['type']!r})")
    try:
        return TASK_UTILS.build(cfg, default_args=default_args)
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


def build_breeding(cfg: Optional[Mapping], shorthand: Mapping[str, object],
                   default_type: str, num_candidates: int):
    """``train_cfg.breeding``, or the loop's default scheme built from its
    own top-level keys (``shorthand``: e.g. ``num_mutation``, None when
    unset); giving both is refused. Checked against the generation size."""
    given = {k: v for k, v in shorthand.items() if v is not None}
    if cfg is not None and given:
        name = next(iter(given))
        raise ConfigError(f'train_cfg.breeding and train_cfg.{name} are both '
                          f'given; set {name} inside train_cfg.breeding')
    own = cfg is None
    breeding = build_strategy(dict(type=default_type, **given) if own
                              else cfg, dict(type=default_type),
                              'train_cfg' if own else 'train_cfg.breeding')
    try:
        breeding.check(num_candidates)
    except ValueError as e:
        raise ConfigError(f'train_cfg.{e}' if own
                          else f'train_cfg.breeding: {e}') from e
    return breeding
