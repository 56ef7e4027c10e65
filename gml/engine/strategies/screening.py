"""Screening of bred offspring before they are scored (POPNAS): predict the
expensive objectives of a larger pool and score only the offspring
predicted nearest the Pareto front.

A strategy object, like breeding and selection: the Pareto loop builds one
from ``train_cfg.predictor`` (``type`` defaults to ``PredictorScreening``)
and asks it each generation whether to screen, how large a pool to breed
and which of the pool to keep. It remembers what it predicted for the
candidates being scored, so their records carry ``predicted_*`` beside the
measured values, and it logs how good those predictions were. Registered
in ``TASK_UTILS``.
"""
import json
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from mmengine.dist import is_main_process

from gml.registry import TASK_UTILS
from gml.utils.errors import ConfigError

from .pareto import nsga2_order, to_losses
from .strategy import build_strategy

DEFAULT_MODELS = dict(score=dict(type='RandomForestRegressor',
                                 n_estimators=100))


@TASK_UTILS.register_module()
class PredictorScreening:
    """Breed ``pool_factor`` times the offspring, predict their expensive
    objectives with scikit-learn regressors fitted on every scored
    candidate, and keep the ``num_candidates`` first in NSGA-II order
    (the scored candidates' true values beside the offspring's
    predictions).

    Args:
        models: ``{objective: regressor config}``; it must predict the
            score, and only objectives of the search.
        pool_factor: offspring bred per candidate scored (>= 1).
        min_records: scored candidates needed before screening starts
            (default: the generation size).
    """

    def __init__(self, models: Optional[Mapping] = None,
                 pool_factor: int = 4, min_records: Optional[int] = None):
        self.models = dict(DEFAULT_MODELS if models is None else models)
        self.pool_factor = pool_factor
        self.min_records = min_records
        self.predictors = None
        self.log: List[Dict] = []
        # what was predicted for the candidates being scored, by subnet key
        self.pending: Dict[str, Dict[str, float]] = {}
        self.screened: Dict[str, int] = {}  # pool size, training records

    def check(self, objectives: Mapping[str, str], seed: int) -> None:
        """Raise ValueError (a key and what is wrong) on a bad setting."""
        unknown = [k for k in self.models if k not in objectives]
        if unknown or 'score' in objectives and 'score' not in self.models:
            raise ValueError(
                f'models: has {sorted(self.models)}; it must predict the '
                'score (the expensive objective) and only objectives of '
                f'this search ({list(objectives)})')
        if not self.pool_factor or self.pool_factor < 1:
            raise ValueError('pool_factor must be >= 1, got '
                             f'{self.pool_factor!r}')
        # scikit-learn is imported only by searches that use it
        from gml.engine.estimators.predictors import build_regressor
        for name, model in self.models.items():
            build_regressor(model, seed, f'train_cfg.predictor.models.{name}')

    @property
    def objectives(self) -> List[str]:
        """What it predicts (the ``predicted_*`` columns)."""
        return list(self.models)

    def prepare(self, search_space: Mapping[str, Sequence],
                seed: int) -> None:
        from gml.engine.estimators.predictors import SubnetPredictors
        self.predictors = SubnetPredictors(search_space, self.models, seed)

    # -- each generation --
    def active(self, num_records: int, num_candidates: int) -> bool:
        return num_records >= (self.min_records or num_candidates)

    def pool_size(self, num_candidates: int) -> int:
        return num_candidates * self.pool_factor

    def screen(self, loop, pool: List[Tuple[Dict, str]]
               ) -> List[Tuple[Dict, str]]:
        """The ``loop.num_candidates`` offspring predicted nearest the
        front; ``loop`` gives its records, objectives, exact costs
        (``exact_objectives``) and subnet keys."""
        self.predictors.fit(loop.records, loop.generation)
        if is_main_process():  # POPNAS keeps its predictors; so do we
            self.predictors.save(
                osp.join(loop.runner.work_dir, 'predictors',
                         f'generation_{loop.generation}.joblib'),
                loop.generation)
        subnets = [s for s, _ in pool]
        predicted = self.predictors.predict(subnets)
        rows = []
        for i, s in enumerate(subnets):
            row = loop.exact_objectives(s)
            row.update({n: float(v[i]) for n, v in predicted.items()})
            rows.append(row)
        losses = np.concatenate([to_losses(loop.records, loop.objectives),
                                 to_losses(rows, loop.objectives)])
        n = len(loop.records)
        chosen = [i - n for i in nsga2_order(losses) if i >= n]
        chosen = chosen[:loop.num_candidates]
        self.pending = {
            subnet_key(loop, subnets[i]): {
                name: round(float(v[i]), 6) for name, v in predicted.items()}
            for i in chosen}
        self.screened = dict(pool=len(pool), fitted_on=n)
        return [pool[i] for i in chosen]

    def complete(self, loop, record: Dict) -> None:
        """Add to a new ``record`` what was predicted for it (when it was
        screened: the predictions are those of the generation scored)."""
        pending = self.pending.get(subnet_key(loop, record['subnet']))
        for name, value in (pending or {}).items():
            record.setdefault(f'predicted_{name}', value)

    def log_generation(self, records: Sequence[Dict], done: int,
                       logger) -> None:
        """Log how the predictions compare with generation ``done``'s
        scores."""
        from gml.engine.estimators.predictors import prediction_errors
        new = [r for r in records if r['generation'] == done]
        for name in self.objectives:
            scored = [r for r in new if f'predicted_{name}' in r]
            if not scored:
                continue
            err = prediction_errors([r[f'predicted_{name}'] for r in scored],
                                    [r[name] for r in scored])
            row = dict(generation=done, objective=name, **err,
                       **self.screened)
            self.log.append(row)
            logger.info(
                f'Predictor {name!r} on generation {done}\'s '
                f'{err["n"]} scored candidates (chosen from '
                f'{row.get("pool")} offspring, fitted on '
                f'{row.get("fitted_on")}): MAE {err["mae"]:.3f}, Spearman '
                f'{err["spearman"]:.3f}')

    # -- state --
    def state_dict(self) -> Dict:
        return dict(predictor_log=self.log,
                    pending_predictions=self.pending,
                    screened=self.screened)

    def load_state_dict(self, state: Mapping) -> None:
        self.log = state['predictor_log']
        self.pending = state['pending_predictions']
        self.screened = state['screened']


def subnet_key(loop, subnet: Dict) -> str:
    """A subnet's key as a JSON string (state files hold string keys)."""
    return json.dumps(list(loop.key(subnet)))


def build_screening(cfg: Optional[Mapping], objectives: Mapping[str, str],
                    seed: int):
    """``train_cfg.predictor`` (None: no screening), checked against the
    search's objectives."""
    if cfg is None:
        return None
    cfg = dict(cfg)
    cfg.setdefault('type', 'PredictorScreening')
    screening = build_strategy(cfg, dict(type='PredictorScreening'),
                               'train_cfg.predictor')
    try:
        screening.check(objectives, seed)
    except ConfigError:
        raise
    except ValueError as e:
        raise ConfigError(f'train_cfg.predictor.{e}') from e
    return screening
