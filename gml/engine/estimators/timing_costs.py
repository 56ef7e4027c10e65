"""The timing costs of a subnet, known before it is scored: its latency
(``latency_ms``) and its training-step time (``train_ms``), each predicted
by a per-op :class:`~gml.engine.estimators.latency.LatencyTable` measured once
on the search's device (or loaded from its file) and checked against
whole-subnet timings.

An estimator beside :class:`SubnetResourceEstimator` (FLOPs, params): a
search loop builds one from its ``train_cfg`` (``latency``,
``latency_range``, ``train_time``), lets it measure or load its tables
when the supernet is there, and asks it for every candidate's times and
for the digests a resumed search must match.
"""
import hashlib
import json
import os.path as osp
from typing import Dict, List, Mapping, Optional, Tuple

from mmengine.dist import broadcast_object_list, is_main_process

from gml.utils.errors import ConfigError

from .latency import RUNTIMES, LatencyTable

LATENCY_DEFAULTS = dict(batch_size=1, warmup=5, repeats=10, rounds=5,
                        calibrate_subnets=3, check_subnets=5, clock='auto',
                        lut_file=None, max_check_error=0.25,
                        runtime='onnxruntime')
#: the training-step table: forward + backward of a training batch in
#: PyTorch on the search's device (POPNAS's training-time objective)
TRAIN_TIME_DEFAULTS = dict(batch_size=32, warmup=3, repeats=5, rounds=5,
                           calibrate_subnets=3, check_subnets=5, clock='auto',
                           lut_file=None, max_check_error=0.25)
#: objective -> (train_cfg key, default file, runtime or None: the
#: settings', measuring mode)
TABLES = dict(latency_ms=('latency', 'latency_lut.json', None, 'inference'),
              train_ms=('train_time', 'train_time_lut.json', 'pytorch',
                        'train'))


class TimingCosts:
    """The timing tables a search keeps, by the objective each predicts.

    Args:
        settings: ``{objective: table settings}`` for ``latency_ms`` and/or
            ``train_ms`` (the merged ``train_cfg.latency`` /
            ``train_cfg.train_time``); an empty dict: no timing costs.
    """

    def __init__(self, settings: Mapping[str, Dict]):
        self.settings = {k: settings[k] for k in TABLES if k in settings}
        self.tables: Dict[str, LatencyTable] = {}

    @classmethod
    def from_train_cfg(cls, objectives: Mapping[str, str],
                       latency: Optional[Mapping], limited: bool,
                       train_time: Optional[Mapping]) -> 'TimingCosts':
        """The tables ``train_cfg`` asks for: a latency table when latency
        is an objective, limited (``limited``: a ``latency_range``) or
        configured; a training-time table when it is an objective or
        configured. Defaults fill what is not given."""
        settings = {}
        if 'latency_ms' in objectives or latency is not None or limited:
            settings['latency_ms'] = _merge('latency', LATENCY_DEFAULTS,
                                            latency)
            runtime = settings['latency_ms']['runtime']
            if runtime not in RUNTIMES:
                raise ConfigError(
                    f'train_cfg.latency.runtime: got {runtime!r}; expected '
                    f'one of {list(RUNTIMES)}')
        if 'train_ms' in objectives or train_time is not None:
            settings['train_ms'] = _merge('train_time', TRAIN_TIME_DEFAULTS,
                                          train_time)
        return cls(settings)

    @property
    def names(self) -> List[str]:
        """The objectives it gives values for (CSV columns), in order."""
        return list(self.settings)

    @property
    def latency_table(self) -> Optional[LatencyTable]:
        return self.tables.get('latency_ms')

    def prepare(self, loop) -> None:
        """Measure (rank 0, once) or load each table for ``loop``'s
        supernet, input shape and seed; every rank gets the same."""
        for name, cfg in self.settings.items():
            key, default_file, runtime, mode = TABLES[name]
            self.tables[name] = _load_table(
                loop, key, cfg, default_file, runtime or cfg['runtime'],
                mode)

    def of(self, subnet: Mapping) -> Dict[str, float]:
        """``subnet``'s times, rounded as the records keep them."""
        return {name: round(table.predict(subnet), 6)
                for name, table in self.tables.items()}

    def digests(self) -> Dict[str, Optional[str]]:
        """What a state file remembers of the tables: resuming under
        other ones would mix incomparable times. ``train_time_table`` is
        only there when that table is (older states resume)."""
        out = dict(latency_table=_digest(self.latency_table))
        if 'train_ms' in self.tables:
            out['train_time_table'] = _digest(self.tables['train_ms'])
        return out


def _merge(key: str, defaults: Mapping, given: Optional[Mapping]) -> Dict:
    given = dict(given or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ConfigError(f'train_cfg.{key}: unknown keys {unknown}; '
                          f'known: {sorted(defaults)}')
    return {**defaults, **given}


def _load_table(loop, key: str, cfg: Dict, default_file: str, runtime: str,
                mode: str) -> LatencyTable:
    path = cfg['lut_file'] or osp.join(loop.runner.work_dir, default_file)
    measure = {k: cfg[k] for k in ('warmup', 'repeats', 'rounds',
                                   'calibrate_subnets', 'check_subnets')}
    result: List[Optional[Tuple]] = [None]
    if is_main_process():  # measured once, on rank 0's device
        try:
            table, measured = LatencyTable.load_or_measure(
                path, loop.model.architecture, loop.mutator,
                loop.input_shape, cfg['batch_size'], cfg['clock'],
                runtime=runtime, mode=mode, seed=loop.seed, **measure)
            result = [(table.to_dict(), measured, path)]
        except ValueError as e:
            result = [str(e)]
    broadcast_object_list(result)
    if isinstance(result[0], str):
        raise ConfigError(result[0])
    data, measured, path = result[0]
    table = LatencyTable.from_dict(data)
    logger = loop.runner.logger
    logger.info(f'{"Measured" if measured else "Loaded"} the '
                f'{table.summary()} ({path})')
    errs = [abs(e) for e in table.check_errors]
    if errs and max(errs) > cfg['max_check_error']:
        logger.warning(
            f'{key} table {path}: its prediction is off whole-subnet '
            f'timings by up to {100 * max(errs):.0f} % (more than '
            f'{key}.max_check_error={cfg["max_check_error"]}); a busy '
            'device is the usual cause: measure it again (delete the '
            'file) when the device is idle, or raise rounds/repeats')
    return table


def _digest(table: Optional[LatencyTable]) -> Optional[str]:
    if table is None:
        return None
    return hashlib.sha1(json.dumps(table.to_dict(), sort_keys=True).encode()
                        ).hexdigest()
