"""The one way a report reaches the work dir: tables as CSV and figures as
PNG, each written atomically (a reader, or a search killed mid-write,
never sees half a file), and matplotlib without a display."""
import csv
import io
from typing import Iterable, Sequence

from gml.utils.fileio import atomic_write_bytes, atomic_write_text


def write_table(path: str, header: Sequence, rows: Iterable[Sequence]
                ) -> None:
    """``header`` then ``rows`` as CSV at ``path``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(header))
    writer.writerows(rows)
    atomic_write_text(path, out.getvalue())


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display on a cluster)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path: str, dpi: int = 100) -> None:
    """``fig`` as a PNG at ``path``; the figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=dpi)
    pyplot().close(fig)
    atomic_write_bytes(path, buf.getvalue())
