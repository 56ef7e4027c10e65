"""The report says when the deployed int8 model is not the one to deploy:
a float stage at least as accurate runs faster at batch 1 (what the
Fashion-MNIST chains measured)."""
import json

from gml.compress.report import deployment_advice, write_reports


def stage(name, top1, b1, kind='distill'):
    return dict(name=name, type=kind, status='done', config=f'{name}.py',
                checkpoint=f'{name}.pth', top1=top1, params=1000,
                flops=2000, size_bytes=3000, latency=None,
                latency_ms=dict(b1=b1, b64=b1 * 30 if b1 else None))


# the search-first Fashion-MNIST chain's figures
CHAIN = [stage('float', 91.27, 0.140, 'retrain'),
         stage('prune', 89.73, 0.109, 'prune'),
         stage('kd', 90.92, 0.111),
         stage('qat', 91.06, None, 'qat'),
         stage('int8', 90.84, 0.157, 'export')]
MEASUREMENT = dict(threads=1, rounds=7, repeats=5, device='cpu')


def test_a_faster_float_stage_at_least_as_accurate_is_named():
    advice = deployment_advice(CHAIN, 'int8')
    assert advice == [
        '`int8` is slower at batch 1 than `kd` (0.157 vs 0.111 ms) and no '
        'more accurate (90.84 vs 90.92 % top-1): on this CPU, `kd`\'s model '
        'is the faster deployable.']


def test_no_advice_when_int8_is_the_fastest_or_the_faster_are_worse():
    fast = [dict(s) for s in CHAIN]
    fast[-1] = stage('int8', 90.84, 0.05, 'export')
    assert deployment_advice(fast, 'int8') == []
    # prune is faster but less accurate; float is more accurate but slower
    worse = [s for s in CHAIN if s['name'] != 'kd']
    worse[-1] = stage('int8', 90.84, 0.120, 'export')
    assert deployment_advice(worse, 'int8') == []
    assert deployment_advice(CHAIN, None) == []


def test_reports_carry_the_advice(tmp_path):
    summary = write_reports(str(tmp_path), CHAIN, dict(
        onnx='deploy/model_int8.onnx', config='deploy/config.py',
        top1=90.84), MEASUREMENT, 'int8')
    assert summary['advice'] == deployment_advice(CHAIN, 'int8')
    assert json.loads((tmp_path / 'summary.json').read_text())[
        'advice'] == summary['advice']
    assert '**Note:** `int8` is slower at batch 1 than `kd`' in (
        tmp_path / 'report.md').read_text()
    assert 'class="advice"' in (tmp_path / 'report.html').read_text()
