"""POPNAS-style surrogates: predict a subnet's objectives from its choices.

A predictor per objective is a scikit-learn regressor fitted on the
candidates evaluated so far (the subnet one-hot encoded with scikit-learn's
``OneHotEncoder``) and refitted every generation. A search asks it about
many more offspring than it can afford to evaluate and evaluates only those
predicted nearest the Pareto front. The fitted models are a function of
the records, the seed and the generation, so a resumed search refits
exactly the models an uninterrupted one had.
"""
import importlib
from typing import Dict, List, Mapping, Sequence

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import mean_absolute_error
from sklearn.preprocessing import OneHotEncoder
from sklearn.base import BaseEstimator, is_regressor

from gml.utils.errors import ConfigError

# where a bare regressor name is looked up (sklearn.utils.all_estimators
# would find them all but imports every sklearn module: ~5 s)
SKLEARN_MODULES = ('sklearn.ensemble', 'sklearn.svm', 'sklearn.neighbors',
                   'sklearn.linear_model', 'sklearn.tree',
                   'sklearn.gaussian_process', 'sklearn.kernel_ridge',
                   'sklearn.neural_network')


def _find_regressor(name: str):
    module, _, short = name.rpartition('.')
    for mod in ([module] if module else SKLEARN_MODULES):
        try:
            cls = getattr(importlib.import_module(mod), short, None)
        except ImportError:
            cls = None
        if isinstance(cls, type) and issubclass(cls, BaseEstimator) and \
                is_regressor(cls()):
            return cls
    return None


def build_regressor(cfg: Mapping, seed: int, where: str):
    """A scikit-learn regressor from ``dict(type='RandomForestRegressor',
    **kwargs)``; ``random_state`` defaults to ``seed`` where it applies."""
    cfg = dict(cfg)
    name = str(cfg.pop('type', ''))
    cls = _find_regressor(name)  # 'X' or 'sklearn.ensemble.X'
    if cls is None:
        raise ConfigError(
            f'{where}.type: {name!r} is not a scikit-learn regressor; e.g. '
            "'RandomForestRegressor', 'GradientBoostingRegressor', 'SVR', "
            "'KNeighborsRegressor', or a dotted path to one")
    if 'random_state' in cls().get_params() and 'random_state' not in cfg:
        cfg['random_state'] = seed
    try:
        return cls(**cfg)
    except TypeError as e:
        raise ConfigError(f'{where}: {e}') from None


class SubnetPredictors:
    """One regressor per predicted objective, on one-hot encoded subnets.

    Args:
        search_space: ``{block name: choices}``.
        models: ``{objective: regressor config}``, e.g.
            ``dict(score=dict(type='RandomForestRegressor'))``.
        seed: base of the regressors' ``random_state`` (plus generation).
    """

    def __init__(self, search_space: Mapping[str, Sequence],
                 models: Mapping[str, Mapping], seed: int = 0):
        self.blocks = list(search_space)
        self.encoder = OneHotEncoder(
            categories=[list(search_space[b]) for b in self.blocks])
        self.encoder.fit([[search_space[b][0] for b in self.blocks]])
        self.model_cfgs = {k: dict(v) for k, v in models.items()}
        self.seed = seed
        self.models: Dict = {}

    @property
    def objectives(self) -> List[str]:
        return list(self.model_cfgs)

    def encode(self, subnets: Sequence[Mapping]) -> np.ndarray:
        rows = [[s[b] for b in self.blocks] for s in subnets]
        return self.encoder.transform(rows).toarray()

    def fit(self, records: Sequence[Mapping], generation: int) -> None:
        x = self.encode([r['subnet'] for r in records])
        self.models = {}
        for name, cfg in self.model_cfgs.items():
            model = build_regressor(cfg, self.seed + generation,
                                    f'train_cfg.predictor.models.{name}')
            model.fit(x, np.array([float(r[name]) for r in records]))
            self.models[name] = model

    def predict(self, subnets: Sequence[Mapping]) -> Dict[str, np.ndarray]:
        x = self.encode(subnets)
        return {n: m.predict(x) for n, m in self.models.items()}

    def save(self, path: str, generation: int) -> None:
        """The fitted regressors with their encoding, as a joblib file
        (scikit-learn's own persistence) that :meth:`load` reads back."""
        import io

        import joblib

        from gml.utils.fileio import atomic_write_bytes
        buf = io.BytesIO()
        joblib.dump(dict(blocks=self.blocks, encoder=self.encoder,
                         models=self.models, model_cfgs=self.model_cfgs,
                         seed=self.seed, generation=generation), buf)
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str) -> 'SubnetPredictors':
        """Predictors saved by :meth:`save` (unpickles: trusted files)."""
        import joblib
        data = joblib.load(path)
        self = cls.__new__(cls)
        self.blocks, self.encoder = data['blocks'], data['encoder']
        self.models, self.model_cfgs = data['models'], data['model_cfgs']
        self.seed = data['seed']
        return self


def prediction_errors(predicted: Sequence[float], actual: Sequence[float]
                      ) -> Dict[str, float]:
    """MAE and Spearman's rank correlation (NaN when either side is
    constant or there are fewer than 2 points)."""
    predicted, actual = np.asarray(predicted), np.asarray(actual)
    rho = float('nan')
    if len(actual) >= 2 and np.ptp(actual) > 0 and np.ptp(predicted) > 0:
        rho = float(spearmanr(predicted, actual).statistic)
    return dict(n=len(actual), mae=float(mean_absolute_error(actual,
                                                             predicted)),
                spearman=rho)
