"""What a Pareto search leaves in its work dir besides the single-objective
files: the front (CSV and one subnet yaml per member), the predictors' log
and one plot of the front per generation."""
import glob
import os
import os.path as osp
from typing import Dict, List, Mapping, Sequence

from gml.engine.strategies.pareto import front_records
from gml.structures import dump_subnet

from .writer import pyplot, save_figure, write_table

FRONT_DIR = 'pareto_front'
PLOT_DIR = 'plots'
PREDICTOR_FIELDS = ('generation', 'objective', 'n', 'mae', 'spearman',
                    'fitted_on', 'pool')


def write_front_subnets(front: List[Dict], work_dir: str,
                        fields: Sequence[str], score_key: str) -> None:
    """``pareto_front/candidate_{id}.yaml`` per member; yamls of candidates
    that left the front are removed (after the new ones are written)."""
    folder = osp.join(work_dir, FRONT_DIR)
    keep = set()
    for r in front:
        path = osp.join(folder, f'candidate_{r["id"]}.yaml')
        extra = {(score_key if k == 'score' else k): r[k] for k in fields
                 if k in r and k != 'id'}
        extra['candidate_id'] = r['id']
        dump_subnet(r['subnet'], path, extra)
        keep.add(osp.abspath(path))
    for path in glob.glob(osp.join(folder, 'candidate_*.yaml')):
        if osp.abspath(path) not in keep:
            os.remove(path)


def write_predictor_log(log: List[Dict], path: str) -> None:
    write_table(path, PREDICTOR_FIELDS,
                ([row.get(k, '') for k in PREDICTOR_FIELDS] for row in log))


AXES = (('latency_ms', 'latency (ms)'), ('flops_M', 'MFLOPs'),
        ('params_M', 'M params'))


def write_front_plot(records: List[Dict], front: List[Dict],
                     generation: int, work_dir: str, score_key: str,
                     objectives: Mapping[str, str]) -> str:
    """``plots/pareto_gen_{generation - 1:03d}.png`` (``generation``
    finished, numbered from 0): score against latency and
    against FLOPs (and params when an objective); evaluated candidates in
    grey, the newest generation ringed, the front over all objectives in
    red (a member may look dominated in a 2-D projection) and the front of
    each plane as a red staircase."""
    plt = pyplot()
    axes_keys = [(k, label) for k, label in AXES
                 if records and k in records[0]
                 and (k in objectives or k != 'params_M')]
    fig, axes = plt.subplots(1, len(axes_keys),
                             figsize=(4.5 * len(axes_keys), 3.6),
                             squeeze=False)
    last = generation - 1  # generations are numbered from 0
    new = [r for r in records if r['generation'] == last]
    for ax, (key, label) in zip(axes[0], axes_keys):
        ax.scatter([r[key] for r in records], [r['score'] for r in records],
                   s=10, c='0.75', label=f'evaluated ({len(records)})')
        ax.scatter([r[key] for r in new], [r['score'] for r in new], s=22,
                   facecolors='none', edgecolors='0.35',
                   label=f'generation {last}')
        plane = front_records(records, dict(score='max', **{key: 'min'}))
        pts = sorted((r[key], r['score']) for r in plane)
        ax.step([p[0] for p in pts], [p[1] for p in pts], where='post',
                c='tab:red', lw=0.8, alpha=0.6, label='front in this plane')
        ax.scatter([r[key] for r in front], [r['score'] for r in front],
                   s=16, c='tab:red', zorder=3,
                   label=f'Pareto front ({len(front)})')
        ax.set_xlabel(label)
        ax.set_ylabel(score_key)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f'after generation {last}: front over '
                 + ', '.join(f'{k} ({d})' for k, d in objectives.items()),
                 fontsize=8)
    fig.tight_layout()
    path = osp.join(work_dir, PLOT_DIR, f'pareto_gen_{last:03d}.png')
    save_figure(fig, path)
    return path
