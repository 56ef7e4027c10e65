"""What a search leaves in its work dir: CSV, subnet yamls and plots."""
import os.path as osp
from typing import Dict, List, Sequence

from gml.structures import Candidate, dump_subnet

from .writer import pyplot, save_figure, write_table

CSV_FIELDS = Candidate.FIELDS


def write_candidates_csv(records: List[Dict], path: str,
                         fields: Sequence[str] = CSV_FIELDS) -> None:
    """One row per evaluated candidate, its choices in the last columns
    (a field a record lacks is left empty)."""
    layers = list(records[0]['subnet']) if records else []
    write_table(path, list(fields) + layers,
                ([r.get(k, '') for k in fields]
                 + [r['subnet'][n] for n in layers] for r in records))


def write_subnets(top: List[Dict], work_dir: str, score_key: str) -> None:
    """``best_subnet.yaml`` and ``top_k/rank_{i}.yaml`` (best first)."""
    for i, r in enumerate(top):
        extra = {score_key: r['score'], 'flops_M': r['flops_M'],
                 'params_M': r['params_M'], 'candidate_id': r['id']}
        dump_subnet(r['subnet'], osp.join(work_dir, 'top_k',
                                          f'rank_{i}.yaml'), extra)
        if i == 0:
            dump_subnet(r['subnet'], osp.join(work_dir, 'best_subnet.yaml'),
                        extra)


def write_plots(records: List[Dict], work_dir: str, score_key: str) -> None:
    """``search_curve.png`` (score per generation) and
    ``score_vs_flops.png``."""
    plt = pyplot()
    gens = sorted({r['generation'] for r in records})
    best, mean, best_so_far = [], [], float('-inf')
    for g in gens:
        scores = [r['score'] for r in records if r['generation'] == g]
        best_so_far = max(best_so_far, max(scores))
        best.append(best_so_far)
        mean.append(sum(scores) / len(scores))
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(gens, best, marker='o', label='best so far')
    ax.plot(gens, mean, marker='.', label='generation mean')
    ax.set_xlabel('generation')
    ax.set_ylabel(score_key)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, osp.join(work_dir, 'search_curve.png'))
    fig, ax = plt.subplots(figsize=(5, 3.5))
    sc = ax.scatter([r['flops_M'] for r in records],
                    [r['score'] for r in records],
                    c=[r['generation'] for r in records], cmap='viridis', s=12)
    fig.colorbar(sc, ax=ax, label='generation')
    ax.set_xlabel('MFLOPs')
    ax.set_ylabel(score_key)
    fig.tight_layout()
    save_figure(fig, osp.join(work_dir, 'score_vs_flops.png'))
