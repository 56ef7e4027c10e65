"""The old toolbox's metric names (``--eval accuracy``,
``evaluation = dict(metric='bbox')``) as mmengine evaluators.

A name selects the evaluator type that computes it; the config's own
evaluator of that type keeps its other settings (``topk``, ``ann_file``...),
only its metric changes. No torch needed: the tools check names first.
"""
from typing import Any, Dict, List, Sequence, Union

from gml.utils.errors import ConfigError

#: metric name -> (evaluator type, argument that lists the metric or None)
METRICS: Dict[str, tuple] = {
    'accuracy': ('mmpretrain.Accuracy', None),
    'precision': ('mmpretrain.SingleLabelMetric', 'items'),
    'recall': ('mmpretrain.SingleLabelMetric', 'items'),
    'f1-score': ('mmpretrain.SingleLabelMetric', 'items'),
    'support': ('mmpretrain.SingleLabelMetric', 'items'),
    'bbox': ('mmdet.CocoMetric', 'metric'),
    'segm': ('mmdet.CocoMetric', 'metric'),
    'proposal': ('mmdet.CocoMetric', 'metric'),
    'proposal_fast': ('mmdet.CocoMetric', 'metric'),
    'mAP': ('mmdet.VOCMetric', 'metric'),
    'recall@voc': ('mmdet.VOCMetric', 'metric'),
}
_ALIASES = {'f1_score': 'f1-score', 'top1': 'accuracy', 'acc': 'accuracy'}


def metric_names(metric: Union[str, Sequence[str]], key: str) -> List[str]:
    """``metric`` as a list of known names; an unknown one is a ConfigError
    naming ``key``."""
    names = [metric] if isinstance(metric, str) else list(metric or [])
    if not names:
        raise ConfigError(f'{key}: no metric given; expected one of '
                          f'{", ".join(METRICS)}')
    out = []
    for name in names:
        name = _ALIASES.get(name, name)
        if name not in METRICS:
            raise ConfigError(f'{key}: unknown metric {name!r}; expected '
                              f'one of {", ".join(METRICS)}')
        out.append(name)
    return out


def _short(type_name: Any) -> str:
    return str(type_name).split('.')[-1]


def evaluators_for(metric: Union[str, Sequence[str]], current: Any,
                   key: str) -> List[dict]:
    """Evaluator configs computing ``metric``, reusing ``current`` ones.

    Args:
        metric: name(s) in the old toolbox's vocabulary.
        current: the config's evaluator(s) (a dict, a list or None).
        key: the config key or option named in errors.
    """
    names = metric_names(metric, key)
    existing = current if isinstance(current, (list, tuple)) else \
        [current] if isinstance(current, dict) else []
    by_type: Dict[str, dict] = {}
    for name in names:
        type_name, arg = METRICS[name]
        cfg = by_type.get(type_name)
        if cfg is None:
            same = [dict(e) for e in existing if isinstance(e, dict)
                    and _short(e.get('type')) == _short(type_name)]
            cfg = same[0] if same else dict(type=type_name)
            if arg is not None:
                cfg[arg] = []
            by_type[type_name] = cfg
        if arg is not None:
            value = 'recall' if name == 'recall@voc' else name
            cfg[arg] = list(cfg[arg]) + [value]
    return list(by_type.values())
