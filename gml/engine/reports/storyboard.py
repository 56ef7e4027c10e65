"""``storyboard.png``: how the best model grew, one panel per ancestor.

Evolly's ``visualize_run`` renders a video of the evolution; this is its
still counterpart: the best model's lineage from the seed, left to right,
each panel the architecture (stem, then the depth levels top to bottom,
blocks of a level side by side, width ~ filters) with the blocks the
mutation touched highlighted, titled with the model's fitness and params.

    python tools/nas/morphism_storyboard.py WORK_DIR  # from a finished run
"""
from typing import Dict, List

from gml.structures.genotype import load_genotype

from .evolution_report import best_record
from .writer import pyplot, save_figure


def best_lineage(records: List[Dict], rule: str = 'greater') -> List[Dict]:
    """The records from the seed (or a generation-0 model) to the best."""
    by_id = {r['id']: r for r in records}
    chain = [best_record(records, rule)]
    while chain[-1].get('parent') is not None:
        chain.append(by_id[chain[-1]['parent']])
    return chain[::-1]


def _draw(ax, record: Dict, max_filters: int) -> None:
    from matplotlib.patches import Rectangle
    genotype = load_genotype(record['genotype'])
    touched = set((record.get('mutation') or {}).get('block_ids') or [])
    names = list(genotype.branches)
    col = 1.0 / len(names)
    for b, name in enumerate(names):
        x0 = b * col
        levels = list(genotype.levels(name).values())
        rows = len(levels) + 1
        ax.add_patch(Rectangle((x0 + 0.1 * col, 1 - 0.9 / rows),
                               0.8 * col, 0.7 / rows, fc='0.85', ec='0.4'))
        ax.text(x0 + col / 2, 1 - 0.55 / rows, 'stem', ha='center',
                va='center', fontsize=6)
        for i, level in enumerate(levels, 1):
            slot = 0.9 * col / len(level)
            for j, block in enumerate(level):
                w = slot * (0.35 + 0.6 * block.filters_out / max_filters)
                x = x0 + 0.05 * col + j * slot + (slot - w) / 2
                y = 1 - (i + 0.9) / rows
                ax.add_patch(Rectangle(
                    (x, y), w, 0.7 / rows, ec='0.3',
                    fc='C3' if block.block_id in touched else
                    ('C0' if block.block_type == 'conv' else 'C2')))
                ax.text(x + w / 2, y + 0.35 / rows,
                        f'{block.block_type[:3]} k{block.kernel_size}\n'
                        f'{block.filters_out}/s{block.strides}',
                        ha='center', va='center', fontsize=5,
                        color='white')
    mutation = (record.get('mutation') or {}).get('text') or 'seed'
    ax.set_title(f'{record["name"]}\nfitness {record["fitness"]:.4f}, '
                 f'{record["params"] / 1e3:.1f} K\n{mutation}', fontsize=6)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis('off')


def write_storyboard(records: List[Dict], path: str,
                     rule: str = 'greater') -> List[Dict]:
    """Draw the best lineage as a PNG strip at ``path``; return it."""
    plt = pyplot()
    chain = best_lineage(records, rule)
    max_filters = max(b.filters_out for r in chain
                      for _, b in load_genotype(r['genotype']).blocks())
    fig, axes = plt.subplots(1, len(chain), squeeze=False,
                             figsize=(max(4.0, 2.2 * len(chain)), 3.4))
    for ax, record in zip(axes[0], chain):
        _draw(ax, record, max_filters)
    fig.suptitle('growth of the best model\n(red: what the mutation changed)',
                 fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return chain
