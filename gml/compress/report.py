"""The pipeline's results: ``summary.json`` (the machine-readable
contract), ``report.md`` and a self-contained ``report.html`` (the stage
table and two inline-SVG plots: top-1 against size and against batch-1
latency; each stage's command, config and log linked relatively)."""
import html
import json
import math
import os.path as osp
from typing import Dict, List, Optional

from gml.utils.fileio import atomic_dump_json, atomic_write_text

STAGE_KEYS = ('name', 'status', 'config', 'checkpoint', 'top1', 'params',
              'flops', 'size_bytes', 'latency_ms')
DEPLOY_KEYS = ('onnx', 'config', 'top1')


def write_summary(work_dir: str, stages: List[dict], deploy: dict,
                  extra: Optional[dict] = None) -> dict:
    """Write ``summary.json`` with exactly the contract's keys (plus
    ``measurement``, how the figures were taken)."""
    summary = dict(stages=[{k: s.get(k) for k in STAGE_KEYS}
                           for s in stages],
                   deploy={k: deploy.get(k) for k in DEPLOY_KEYS})
    if extra:
        summary.update(extra)
    atomic_dump_json(summary, osp.join(work_dir, 'summary.json'))
    return summary


def _fmt(value, digits: int = 2, scale: float = 1.0) -> str:
    if value is None:
        return '-'
    if isinstance(value, float) or scale != 1.0:
        return f'{value / scale:.{digits}f}'
    return str(value)


def _spread(stage: dict, key: str) -> str:
    fig = (stage.get('latency') or {}).get(key)
    if not fig:
        return '-'
    return (f'{fig["median_ms"]:.3f} ({fig["lo_ms"]:.3f}-'
            f'{fig["hi_ms"]:.3f})')


def table_rows(stages: List[dict]) -> List[List[str]]:
    rows = []
    for s in stages:
        rows.append([s['name'], s.get('type', ''), s['status'],
                     _fmt(s.get('top1')), _fmt(s.get('params'), 3, 1e6),
                     _fmt(s.get('flops'), 3, 1e6),
                     _fmt(s.get('size_bytes'), 1, 1e3),
                     _spread(s, 'b1'), _spread(s, 'b64')])
    return rows


HEADER = ['stage', 'type', 'status', 'top-1', 'params (M)', 'MFLOPs',
          'size (kB)', 'ms @1 (rounds)', 'ms @64 (rounds)']


def deployment_advice(stages: List[dict], deployed: Optional[str]
                      ) -> List[str]:
    """What the measurements say against deploying ``deployed``: a float
    stage at least as accurate that runs faster at batch 1 (int8 kernels
    lose to fp32 on small models on some CPUs). Empty when none."""
    by_name = {s['name']: s for s in stages}
    dep = by_name.get(deployed or '')
    dep_ms = (dep or {}).get('latency_ms', {}).get('b1')
    if not dep or dep_ms is None or dep.get('top1') is None:
        return []
    better = [s for s in stages
              if s['name'] != deployed and s.get('top1') is not None
              and (s.get('latency_ms') or {}).get('b1') is not None
              and s['latency_ms']['b1'] < dep_ms
              and s['top1'] >= dep['top1']]
    if not better:
        return []
    best = min(better, key=lambda s: s['latency_ms']['b1'])
    return [f'`{deployed}` is slower at batch 1 than `{best["name"]}` '
            f'({dep_ms:.3f} vs {best["latency_ms"]["b1"]:.3f} ms) and no '
            f'more accurate ({dep["top1"]:.2f} vs {best["top1"]:.2f} % '
            f'top-1): on this CPU, `{best["name"]}`\'s model is the faster '
            'deployable.']


def write_markdown(work_dir: str, stages: List[dict], deploy: dict,
                   note: str, advice: List[str] = ()) -> str:
    lines = ['| ' + ' | '.join(HEADER) + ' |',
             '|' + '---|' * len(HEADER)]
    lines += ['| ' + ' | '.join(r) + ' |' for r in table_rows(stages)]
    text = '\n'.join([
        '# Compression pipeline report', '', note, '', *lines, '',
        f'Deployed: `{deploy.get("onnx")}` (top-1 on onnxruntime '
        f'{_fmt(deploy.get("top1"))}); test it with',
        '', '```',
        f'python tools/test.py {deploy.get("config")} {deploy.get("onnx")} '
        '--backend onnxruntime', '```', '',
        *(f'**Note:** {a}\n' for a in advice)])
    path = osp.join(work_dir, 'report.md')
    atomic_write_text(path, text)
    return path


def svg_scatter(points: List[tuple], xlabel: str, title: str,
                log_x: bool = True) -> str:
    """An inline SVG scatter plot of ``(x, top1, label)`` points."""
    pts = [(x, y, n) for x, y, n in points if x and y is not None]
    w, h, m = 420, 280, 50
    if not pts:
        return f'<p>{html.escape(title)}: nothing measured</p>'
    tx = (lambda v: math.log10(v)) if log_x else (lambda v: v)
    xs, ys = [tx(p[0]) for p in pts], [p[1] for p in pts]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 - x0 < 1e-9:
        x0, x1 = x0 - 0.5, x1 + 0.5
    if y1 - y0 < 1e-9:
        y0, y1 = y0 - 1, y1 + 1
    pad_x, pad_y = (x1 - x0) * 0.1, (y1 - y0) * 0.1  # points off the axes
    x0, x1, y0, y1 = x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y
    px = lambda v: m + (v - x0) / (x1 - x0) * (w - 2 * m)  # noqa: E731
    py = lambda v: h - m - (v - y0) / (y1 - y0) * (h - 2 * m)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" '
             f'height="{h}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="{w / 2}" y="18" text-anchor="middle" '
             f'font-size="13">{html.escape(title)}</text>',
             f'<line x1="{m}" y1="{h - m}" x2="{w - m}" y2="{h - m}" '
             'stroke="black"/>',
             f'<line x1="{m}" y1="{m}" x2="{m}" y2="{h - m}" stroke="black"/>',
             f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle" '
             f'font-size="11">{html.escape(xlabel)}</text>',
             f'<text x="12" y="{h / 2}" font-size="11" transform="rotate(-90'
             f' 12 {h / 2})" text-anchor="middle">top-1 (%)</text>']
    for v, y in ((y0, y0), (y1, y1)):
        parts.append(f'<text x="{m - 4}" y="{py(v) + 4}" font-size="10" '
                     f'text-anchor="end">{y:.1f}</text>')
    for v in (x0, x1):
        raw = 10 ** v if log_x else v
        parts.append(f'<text x="{px(v)}" y="{h - m + 14}" font-size="10" '
                     f'text-anchor="middle">{raw:.3g}</text>')
    for (x, y, name), lx in zip(pts, xs):
        parts.append(f'<circle cx="{px(lx):.1f}" cy="{py(y):.1f}" r="5" '
                     f'fill="steelblue"><title>{html.escape(name)}</title>'
                     '</circle>')
        parts.append(f'<text x="{px(lx) + 7:.1f}" y="{py(y) - 6:.1f}" '
                     f'font-size="11">{html.escape(name)}</text>')
    parts.append('</svg>')
    return ''.join(parts)


def write_html(work_dir: str, stages: List[dict], deploy: dict,
               note: str, advice: List[str] = ()) -> str:
    rows = []
    for s, row in zip(stages, table_rows(stages)):
        cells = ''.join(f'<td>{html.escape(c)}</td>' for c in row)
        links = ' '.join(
            f'<a href="{html.escape(s["name"])}/{f}">{label}</a>'
            for label, f in (('command', 'command.sh'),
                             ('config', 'stage_config.py'),
                             ('log', 'stage.log'))
            if osp.isfile(osp.join(work_dir, s['name'], f)))
        rows.append(f'<tr>{cells}<td>{links}</td></tr>')
    head = ''.join(f'<th>{html.escape(c)}</th>' for c in HEADER + ['files'])
    size_pts = [(s.get('size_bytes') and s['size_bytes'] / 1e3,
                 s.get('top1'), s['name']) for s in stages]
    lat_pts = [((s.get('latency_ms') or {}).get('b1'), s.get('top1'),
                s['name']) for s in stages]
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Compression pipeline report</title>
<style>body{{font-family:sans-serif;margin:24px}}
table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;
padding:4px 8px;text-align:right}}td:first-child{{text-align:left}}
.plots{{display:flex;gap:24px;flex-wrap:wrap;margin-top:16px}}</style>
</head><body>
<h1>Compression pipeline report</h1>
<p>{html.escape(note)}</p>
<table id="stages"><tr>{head}</tr>
{''.join(rows)}
</table>
<p id="deploy">Deployed: <code>{html.escape(str(deploy.get('onnx')))}</code>,
top-1 on onnxruntime {_fmt(deploy.get('top1'))}</p>
{''.join(f'<p class="advice"><b>Note:</b> {html.escape(a)}</p>'
         for a in advice)}
<div class="plots">
{svg_scatter(size_pts, 'ONNX size (kB, log)', 'top-1 vs size')}
{svg_scatter(lat_pts, 'latency, batch 1 (ms, log)', 'top-1 vs latency')}
</div></body></html>
"""
    path = osp.join(work_dir, 'report.html')
    atomic_write_text(path, page)
    return path


def write_reports(work_dir: str, stages: List[dict], deploy: dict,
                  measurement: Dict, deployed: Optional[str] = None) -> dict:
    """summary.json, report.md and report.html of one pipeline run;
    ``deployed``: the stage whose model is ``deploy``'s."""
    note = (f'Latency: onnxruntime CPU, {measurement["threads"]} thread, '
            f'median of {measurement["rounds"]} interleaved rounds x '
            f'{measurement["repeats"]} calls (fastest-slowest round '
            f'median); {measurement["device"]}. Size: the ONNX file. '
            'FLOPs: multiply-accumulates at batch 1.')
    advice = deployment_advice(stages, deployed)
    summary = write_summary(work_dir, stages, deploy,
                            dict(measurement=measurement, advice=advice))
    write_markdown(work_dir, stages, deploy, note, advice)
    write_html(work_dir, stages, deploy, note, advice)
    return summary


def load_summary(work_dir: str) -> Optional[dict]:
    path = osp.join(work_dir, 'summary.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)
