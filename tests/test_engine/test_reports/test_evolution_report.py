"""lineage.png draws the parent column of evolution.csv, and nothing reads
as an edge through a node or a label on one."""
import csv

import numpy as np

from gml.engine.reports.evolution_report import (lineage_layout,
                                                  write_csv, write_plots)


def _records():
    # the reported run: 3 and 5 are children of 0 in generations 2 and 3,
    # the fittest of theirs, on the row of 0 -> 1 -> 3 -> 5
    spec = [(0, 0, None, 0.5), (1, 1, 0, 0.6), (2, 1, 0, 0.4),
            (3, 2, 0, 0.7), (4, 2, 1, 0.65), (5, 3, 0, 0.8), (6, 3, 4, 0.3)]
    return [dict(id=i, name=f'm{i}', generation=g, parent=p, fitness=f,
                 score=100 * f, params=10, flops=20, training_time=1.0,
                 mutation=None if p is None else dict(kind='deepen',
                                                        text='deepen'),
                 key=f'k{i}') for i, g, p, f in spec]


def _bezier(path, t):
    (x0, y0), (xc, yc), (x1, y1) = map(np.array, path)
    t = np.asarray(t)[:, None]
    return ((1 - t) ** 2 * np.array([x0, y0]) + 2 * t * (1 - t)
            * np.array([xc, yc]) + t ** 2 * np.array([x1, y1]))


def test_lineage_edges_are_the_csv_parents(tmp_path):
    records = _records()
    write_csv(records, str(tmp_path / 'evolution.csv'))
    edges = write_plots(records, str(tmp_path))
    assert (tmp_path / 'lineage.png').is_file()
    with open(tmp_path / 'evolution.csv') as f:
        parents = {int(r['id']): int(r['parent'])
                   for r in csv.DictReader(f) if r['parent']}
    assert {e['child']: e['parent'] for e in edges} == parents
    assert len(edges) == len(parents)

    pos = lineage_layout(records)
    for e in edges:
        # drawn from the parent's node to the child's
        assert e['path'][0] == pos[e['parent']]
        assert e['path'][-1] == pos[e['child']]
        others = np.array([xy for i, xy in pos.items()
                           if i not in (e['parent'], e['child'])])
        curve = _bezier(e['path'], np.linspace(0.02, 0.98, 200))
        gaps = np.linalg.norm(curve[:, None] - others[None], axis=2)
        assert gaps.min() > 0.3, f'edge {e} runs through a node'
        label = np.linalg.norm(np.array(list(pos.values()))
                               - np.array(e['label_xy']), axis=1)
        assert label.min() >= 0.45, f'label of {e} sits on a node'
