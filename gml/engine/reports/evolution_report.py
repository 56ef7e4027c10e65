"""What a morphism evolution leaves in its work dir: the CSV of every model,
the best genotype and checkpoint, the fitness curve and the lineage."""
import glob
import os.path as osp
import shutil
from typing import Dict, List, Tuple

import numpy as np

from gml.structures.genotype import dump_genotype, load_genotype

from .writer import pyplot, save_figure, write_table

CSV_FIELDS = ('id', 'name', 'generation', 'parent', 'mutation', 'fitness',
              'score', 'params', 'flops', 'training_time',
              'function_preserving', 'max_abs_diff', 'rank', 'genotype')


#: ``rule`` of the fitness, as mmengine's CheckpointHook names it.
RULES = ('greater', 'less')


def ranked(records: List[Dict], rule: str = 'greater') -> List[Dict]:
    """Fittest first under ``rule`` (ties: the older model first)."""
    sign = -1 if rule == 'greater' else 1
    return sorted(records, key=lambda r: (sign * r['fitness'], r['id']))


def best_record(records: List[Dict], rule: str = 'greater') -> Dict:
    return ranked(records, rule)[0]


def meta_name(name: str, fitness: float, with_fitness: bool) -> str:
    """``0000_00001_meta.json``, or Evolly's ``0000_00001_0.90547_meta.json``
    when ``with_fitness``."""
    return f'{name}_{fitness:.5f}_meta.json' if with_fitness \
        else f'{name}_meta.json'


def find_meta(models_dir: str, name: str) -> str:
    """The meta file of model ``name`` under either naming ('' if none)."""
    plain = osp.join(models_dir, f'{name}_meta.json')
    if osp.isfile(plain):
        return plain
    found = sorted(glob.glob(osp.join(glob.escape(models_dir),
                                      f'{name}_*_meta.json')))
    return found[0] if found else ''


def write_csv(records: List[Dict], path: str) -> None:
    write_table(path, CSV_FIELDS, (_csv_row(r) for r in records))


def _csv_row(r: Dict) -> List:
    m = r.get('mutation') or {}
    inh = r.get('inheritance') or {}
    return [r['id'], r['name'], r['generation'], r['parent'],
            m.get('text', 'seed' if r['parent'] is None else ''),
            f'{r["fitness"]:.6f}', f'{r["score"]:.4f}', r['params'],
            r['flops'], f'{r["training_time"]:.3f}',
            inh.get('function_preserving', ''),
            '' if r.get('max_abs_diff') is None else
            f'{r["max_abs_diff"]:.3g}', r.get('rank', 0), r['key']]


def write_best(records: List[Dict], work_dir: str, score_key: str,
               rule: str = 'greater') -> Dict:
    """``best_genotype.yaml`` and ``best_model.pth`` (the fittest so far)."""
    best = best_record(records, rule)
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


def lineage_layout(records: List[Dict], rule: str = 'greater'
                   ) -> Dict[int, Tuple[float, float]]:
    """Each model's place in ``lineage.png``: x = generation, y = minus its
    rank by fitness within the generation."""
    pos = {}
    for g in sorted({r['generation'] for r in records}):
        gen = ranked([r for r in records if r['generation'] == g], rule)
        for i, r in enumerate(gen):
            pos[r['id']] = (float(g), float(-i))
    return pos


def lineage_edges(records: List[Dict], pos: Dict) -> List[Dict]:
    """The lineage's edges, one per model with a parent: ``parent``,
    ``child``, ``path`` (start, Bezier control point, end) and the
    mutation ``label`` at ``label_xy``, the curve's midpoint.

    An edge between adjacent generations is straight, and its label sits
    between the two columns. One that skips generations bends upwards so
    that it never runs through the nodes of the generations between (a
    straight line along one row read 0 -> 3 as 0 -> 1 -> 3), with its
    label half-way between two rows.
    """
    edges = []
    for r in records:
        if r['parent'] not in pos:
            continue
        (x0, y0), (x1, y1) = pos[r['parent']], pos[r['id']]
        bend = 0.0
        if abs(x1 - x0) > 1:  # Bezier midpoint: + bend / 2 off the line
            bend = 1.0 if (y0 + y1) % 2 == 0 else 2.0
        control = ((x0 + x1) / 2, (y0 + y1) / 2 + bend)
        mid = (0.25 * x0 + 0.5 * control[0] + 0.25 * x1,
               0.25 * y0 + 0.5 * control[1] + 0.25 * y1)
        edges.append(dict(
            parent=r['parent'], child=r['id'],
            path=[(x0, y0), control, (x1, y1)],
            label=(r.get('mutation') or {}).get('kind', ''),
            label_xy=mid))
    return edges


def best_so_far(records: List[Dict], rule: str = 'greater') -> List[float]:
    """The best fitness up to each generation, in generation order."""
    pick = max if rule == 'greater' else min
    out = []
    for g in sorted({r['generation'] for r in records}):
        gen = [r['fitness'] for r in records if r['generation'] == g]
        out.append(pick(gen + out[-1:]))
    return out


def write_plots(records: List[Dict], work_dir: str,
                rule: str = 'greater') -> List[Dict]:
    """``fitness.png`` (every model and the best so far per generation) and
    ``lineage.png`` (which child came from which parent); returns the
    lineage's edges as drawn (:func:`lineage_edges`)."""
    plt = pyplot()
    gens = sorted({r['generation'] for r in records})
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.scatter([r['generation'] for r in records],
               [r['fitness'] for r in records], s=14, alpha=0.7,
               label='model')
    curve = best_so_far(records, rule)
    ax.plot(gens, curve, marker='o', color='C3', label='best so far')
    ax.set_xlabel('generation')
    ax.set_ylabel('fitness' + (' (lower is better)' if rule == 'less'
                               else ''))
    ax.set_xticks(gens)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, osp.join(work_dir, 'fitness.png'))

    pos = lineage_layout(records, rule)
    edges = lineage_edges(records, pos)
    fig, ax = plt.subplots(figsize=(max(5.5, 1.6 * len(gens)), 4))
    for e in edges:
        (x0, y0), (xc, yc), (x1, y1) = e['path']
        # a quadratic Bezier through the control point: an edge that skips
        # generations bends around the nodes between its ends
        t = np.linspace(0, 1, 20)[:, None]
        curve = ((1 - t) ** 2 * np.array([x0, y0]) + 2 * t * (1 - t)
                 * np.array([xc, yc]) + t ** 2 * np.array([x1, y1]))
        ax.plot(curve[:, 0], curve[:, 1], color='0.6', lw=0.8, zorder=1)
        ax.annotate(e['label'], e['label_xy'], fontsize=6, color='0.35',
                    ha='center', va='center', zorder=4,
                    bbox=dict(boxstyle='round,pad=0.1', fc='white',
                              ec='none', alpha=0.8))
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
    save_figure(fig, osp.join(work_dir, 'lineage.png'))
    return edges
