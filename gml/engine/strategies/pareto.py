"""Multi-objective helpers: Pareto ranks, crowding distance, hypervolume.

Everything works on a ``(n_points, n_objectives)`` array of *losses* (lower
is better); :func:`to_losses` turns records and ``{name: 'max'|'min'}``
directions into one. The algorithms are NSGA-II's (Deb et al., 2002) as
Optuna implements them (``optuna.study._multi_objective`` and
``samplers/nsgaii``); Optuna keeps those functions private, so gml has this
small module and its tests check it against Optuna's on random data.
"""
from typing import Dict, List, Mapping, Sequence

import numpy as np

DIRECTIONS = ('max', 'min')


def to_losses(records: Sequence[Mapping], objectives: Mapping[str, str]
              ) -> np.ndarray:
    """``records[i][name]`` for each objective, negated where ``'max'``."""
    sign = np.array([-1.0 if d == 'max' else 1.0
                     for d in objectives.values()])
    values = np.array([[float(r[n]) for n in objectives] for r in records],
                      dtype=np.float64).reshape(len(records), len(sign))
    return values * sign


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """``a`` is no worse than ``b`` everywhere and better somewhere."""
    return bool(np.all(a <= b) and np.any(a < b))


def pareto_mask(losses: np.ndarray) -> np.ndarray:
    """True for the points no other point dominates (equal points are all
    kept: neither dominates the other)."""
    losses = np.asarray(losses, dtype=np.float64)
    n = len(losses)
    on_front = np.ones(n, dtype=bool)
    for i in range(n):
        # i is dominated if some point is <= everywhere and < somewhere
        le = np.all(losses <= losses[i], axis=1)
        lt = np.any(losses < losses[i], axis=1)
        on_front[i] = not np.any(le & lt)
    return on_front


def non_dominated_ranks(losses: np.ndarray) -> np.ndarray:
    """NSGA-II's fronts: 0 for the Pareto front, 1 for the front of what
    is left once it is removed, and so on."""
    losses = np.asarray(losses, dtype=np.float64)
    ranks = np.full(len(losses), -1, dtype=int)
    remaining = np.arange(len(losses))
    rank = 0
    while remaining.size:
        front = pareto_mask(losses[remaining])
        ranks[remaining[front]] = rank
        remaining = remaining[~front]
        rank += 1
    return ranks


def crowding_distance(losses: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance within one front: per objective, the gap
    between a point's two neighbours over the objective's range, summed;
    the extremes of an objective get ``inf``. An objective on which all
    points agree adds nothing (as in Optuna)."""
    losses = np.asarray(losses, dtype=np.float64)
    n, m = losses.shape if losses.ndim == 2 else (len(losses), 0)
    dist = np.zeros(n)
    if n == 0:
        return dist
    for k in range(m):
        order = np.argsort(losses[:, k], kind='stable')
        v = losses[order, k]
        if v[0] == v[-1]:
            continue
        width = v[-1] - v[0]
        padded = np.concatenate([[-np.inf], v, [np.inf]])
        gaps = padded[2:] - padded[:-2]
        dist[order] += gaps / width
    return dist


def nsga2_order(losses: np.ndarray) -> np.ndarray:
    """Indices best first: by front, then by crowding distance (larger
    first), then by index (stable, reproducible)."""
    losses = np.asarray(losses, dtype=np.float64)
    ranks = non_dominated_ranks(losses)
    crowd = np.zeros(len(losses))
    for r in np.unique(ranks):
        idx = np.flatnonzero(ranks == r)
        crowd[idx] = crowding_distance(losses[idx])
    return np.lexsort((np.arange(len(losses)), -crowd, ranks))


def hypervolume(losses: np.ndarray, reference: Sequence[float]) -> float:
    """Volume dominated by ``losses`` and bounded by ``reference`` (points
    not better than it in every objective add nothing).

    Exact, by slicing along the last objective (HSO, While et al., 2006);
    ample for the fronts of a search (tens of points, 2-4 objectives).
    """
    ref = np.asarray(reference, dtype=np.float64)
    pts = np.asarray(losses, dtype=np.float64).reshape(-1, len(ref))
    pts = pts[np.all(pts < ref, axis=1)]
    if not len(pts):
        return 0.0
    pts = pts[pareto_mask(pts)]
    return float(_hso(np.unique(pts, axis=0), ref))


def _hso(pts: np.ndarray, ref: np.ndarray) -> float:
    if pts.shape[1] == 1:
        return float(ref[0] - pts[:, 0].min())
    if pts.shape[1] == 2:
        pts = pts[np.argsort(pts[:, 0], kind='stable')]
        volume, best_y = 0.0, ref[1]
        for x, y in pts:
            if y < best_y:
                volume += (ref[0] - x) * (best_y - y)
                best_y = y
        return volume
    # slabs between consecutive values of the last objective; each slab's
    # volume is its thickness times the (m-1)-volume of the points below it
    levels = np.unique(pts[:, -1])
    tops = np.append(levels[1:], ref[-1])
    volume = 0.0
    for level, top in zip(levels, tops):
        below = pts[pts[:, -1] <= level, :-1]
        below = below[pareto_mask(below)]
        volume += (top - level) * _hso(below, ref[:-1])
    return volume


def front_records(records: List[Dict], objectives: Mapping[str, str]
                  ) -> List[Dict]:
    """The records on the Pareto front of ``objectives``, in id order."""
    if not records:
        return []
    mask = pareto_mask(to_losses(records, objectives))
    return [r for r, on in zip(records, mask) if on]
