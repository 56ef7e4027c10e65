"""How a task's best feasible reward grew: ``progress.csv``/``.png`` and
``all_jobs.json`` (the seed driver's ``{moreInfo}.csv``, ``best_acc_time.png``
and ``automl_run_*.json``), written by the controller when the task ends.

Rows follow the jobs in the order they ended. ``steps`` is the highest step
a job reported (epochs for the demo), so ``total_steps`` is the compute spent
so far; a job stopped at step 0 by a constraint costs none.
"""
import csv
import datetime
import os
from typing import List, Optional

from gml.utils.fileio import atomic_dump_json

from .store import TERMINAL

CSV_FIELDS = ('job', 'end_s', 'jobs_done', 'steps', 'total_steps', 'status',
              'feasible', 'reward', 'best_feasible')
_RECORD_KEYS = ('name', 'trial', 'status', 'stop_reason', 'params', 'reward',
                'feasible', 'constraint_scalars', 'steps', 'start_time',
                'end_time', 'exit_code')


def _time(text: Optional[str]) -> Optional[datetime.datetime]:
    try:
        return datetime.datetime.strptime(text, '%Y/%m/%d %H:%M:%S.%f')
    except (TypeError, ValueError):
        return None


def progress_rows(infos: List[dict], mode: str) -> List[dict]:
    """One row per ended job, in end order, with the best feasible reward
    so far (None until a feasible job finished)."""
    ended = [i for i in infos if i.get('status') in TERMINAL
             and _time(i.get('end_time'))]
    ended.sort(key=lambda i: (_time(i['end_time']), int(i['name'])))
    starts = [t for t in (_time(i.get('start_time')) or _time(i['end_time'])
                          for i in ended) if t]
    t0 = min(starts) if starts else None
    sign = 1 if mode == 'max' else -1
    rows, best, total = [], None, 0
    for n, info in enumerate(ended, 1):
        steps = int(info.get('steps') or 0)
        total += steps
        reward = info.get('reward')
        feasible = bool(info.get('feasible', True))
        if info['status'] == 'finished' and feasible and reward is not None \
                and (best is None or sign * reward > sign * best):
            best = reward
        rows.append({
            'job': info['name'],
            'end_s': round((_time(info['end_time']) - t0).total_seconds(), 3),
            'jobs_done': n, 'steps': steps, 'total_steps': total,
            'status': info['status'], 'feasible': feasible,
            'reward': reward, 'best_feasible': best})
    return rows


def write_progress(task_path: str, infos: List[dict], mode: str,
                   attr: Optional[str]) -> List[dict]:
    """Write progress.csv, progress.png and all_jobs.json; return the rows."""
    rows = progress_rows(infos, mode)
    tmp = os.path.join(task_path, 'progress.csv.tmp')
    with open(tmp, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, os.path.join(task_path, 'progress.csv'))
    jobs = [{k: i.get(k) for k in _RECORD_KEYS if k in i}
            for i in sorted(infos, key=lambda i: int(i['name']))]
    atomic_dump_json(jobs, os.path.join(task_path, 'all_jobs.json'))
    _plot(rows, os.path.join(task_path, 'progress.png'), attr or 'reward')
    return rows


def _plot(rows: List[dict], path: str, attr: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    shown = [r for r in rows if r['best_feasible'] is not None]
    for ax, key, label in ((axes[0], 'end_s', 'wall time (s)'),
                           (axes[1], 'jobs_done', 'jobs ended')):
        ax.step([r[key] for r in shown], [r['best_feasible'] for r in shown],
                where='post', marker='.')
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f'best feasible {attr}')
    if not shown:
        axes[0].set_title('no feasible job yet', fontsize=9)
    fig.tight_layout()
    fig.savefig(path + '.tmp.png', dpi=80)
    plt.close(fig)
    os.replace(path + '.tmp.png', path)
