"""The one report writer: tables and figures land whole (atomically), and
the figure is closed after it is written."""
import csv

from gml.engine.reports.writer import pyplot, save_figure, write_table


def test_table_round_trips_and_replaces_atomically(tmp_path):
    path = tmp_path / 'table.csv'
    path.write_text('old')
    write_table(str(path), ('id', 'score'), ([i, i / 2] for i in range(3)))
    with open(path) as f:
        assert list(csv.reader(f)) == [['id', 'score'], ['0', '0.0'],
                                       ['1', '0.5'], ['2', '1.0']]
    assert [p.name for p in tmp_path.iterdir()] == ['table.csv']


def test_figure_is_a_png_and_closed(tmp_path):
    plt = pyplot()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    save_figure(fig, str(tmp_path / 'f.png'), dpi=50)
    assert (tmp_path / 'f.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert fig.number not in plt.get_fignums()
