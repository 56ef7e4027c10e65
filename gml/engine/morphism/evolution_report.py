"""What a morphism evolution leaves in its work dir: the CSV of every model,
the best genotype and checkpoint, the fitness curve and the lineage."""
import csv
import io
import os.path as osp
import shutil
from typing import Dict, List

from gml.models.morphism.genotype import dump_genotype, load_genotype
from gml.utils.fileio import atomic_write_bytes, atomic_write_text

CSV_FIELDS = ('id', 'name', 'generation', 'parent', 'mutation', 'fitness',
              'score', 'params', 'flops', 'training_time',
              'function_preserving', 'max_abs_diff', 'rank', 'genotype')


def best_record(records: List[Dict]) -> Dict:
    return min(records, key=lambda r: (-r['fitness'], r['id']))


def write_csv(records: List[Dict], path: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for r in records:
        m = r.get('mutation') or {}
        inh = r.get('inheritance') or {}
        writer.writerow([
            r['id'], r['name'], r['generation'], r['parent'],
            m.get('text', 'seed' if r['parent'] is None else ''),
            f'{r["fitness"]:.6f}', f'{r["score"]:.4f}', r['params'],
            r['flops'], f'{r["training_time"]:.3f}',
            inh.get('function_preserving', ''),
            '' if r.get('max_abs_diff') is None else
            f'{r["max_abs_diff"]:.3g}', r.get('rank', 0), r['key']])
    atomic_write_text(path, out.getvalue())


def write_best(records: List[Dict], work_dir: str, score_key: str) -> Dict:
    """``best_genotype.yaml`` and ``best_model.pth`` (the fittest so far)."""
    best = best_record(records)
    dump_genotype(load_genotype(best['genotype']),
                  osp.join(work_dir, 'best_genotype.yaml'),
                  {'fitness': best['fitness'], score_key: best['score'],
                   'params': best['params'], 'flops': best['flops'],
                   'model': best['name']})
    dst = osp.join(work_dir, 'best_model.pth')
    tmp = dst + '.tmp'
    shutil.copyfile(best['checkpoint'], tmp)
    shutil.move(tmp, dst)  # a rename: readers never see half a file
    return best


def _save(fig, path: str) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=100)
    atomic_write_bytes(path, buf.getvalue())


def write_plots(records: List[Dict], work_dir: str) -> None:
    """``fitness.png`` (every model and the best so far per generation) and
    ``lineage.png`` (which child came from which parent)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    gens = sorted({r['generation'] for r in records})
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.scatter([r['generation'] for r in records],
               [r['fitness'] for r in records], s=14, alpha=0.7,
               label='model')
    best, curve = float('-inf'), []
    for g in gens:
        best = max([best] + [r['fitness'] for r in records
                             if r['generation'] == g])
        curve.append(best)
    ax.plot(gens, curve, marker='o', color='C3', label='best so far')
    ax.set_xlabel('generation')
    ax.set_ylabel('fitness')
    ax.set_xticks(gens)
    ax.legend()
    fig.tight_layout()
    _save(fig, osp.join(work_dir, 'fitness.png'))

    # lineage: x = generation, y = rank by fitness within it
    pos = {}
    for g in gens:
        gen = sorted((r for r in records if r['generation'] == g),
                     key=lambda r: (-r['fitness'], r['id']))
        for i, r in enumerate(gen):
            pos[r['id']] = (g, -i)
    fig, ax = plt.subplots(figsize=(max(5.5, 1.6 * len(gens)), 4))
    for r in records:
        if r['parent'] in pos:
            (x0, y0), (x1, y1) = pos[r['parent']], pos[r['id']]
            ax.plot([x0, x1], [y0, y1], color='0.6', lw=0.8, zorder=1)
            kind = (r.get('mutation') or {}).get('kind', '')
            ax.annotate(kind, ((x0 + x1) / 2, (y0 + y1) / 2), fontsize=6,
                        color='0.35', ha='center')
    sc = ax.scatter([pos[r['id']][0] for r in records],
                    [pos[r['id']][1] for r in records],
                    c=[r['fitness'] for r in records], cmap='viridis',
                    s=60, zorder=2)
    for r in records:
        ax.annotate(str(r['id']), pos[r['id']], fontsize=6, ha='center',
                    va='center', color='white', zorder=3)
    fig.colorbar(sc, ax=ax, label='fitness')
    ax.set_xlabel('generation')
    ax.set_yticks([])
    ax.set_xticks(gens)
    ax.set_title('lineage (edges: parent -> child, label: mutation)')
    fig.tight_layout()
    _save(fig, osp.join(work_dir, 'lineage.png'))
    plt.close('all')
