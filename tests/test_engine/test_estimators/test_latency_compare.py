"""compare_latency times the compared models in interleaved rounds (the
order of calls is checked, not the times)."""
import torch

from gml.engine.estimators.latency import compare_latency, format_latency


def test_models_are_timed_in_interleaved_rounds():
    calls = []
    fns = {name: (lambda name=name: calls.append(name)) for name in 'ab'}
    figures = compare_latency(fns, torch.device('cpu'), warmup=1, repeats=2,
                              rounds=3, clock='wall')
    assert calls == ['a', 'b'] + ['a', 'a', 'b', 'b'] * 3
    assert set(figures) == {'a', 'b'}
    for f in figures.values():
        assert f['rounds'] == 3 and f['clock'] == 'wall'
        assert 0 <= f['lo_ms'] <= f['hi_ms']
        assert format_latency(f).endswith(')') and 'rounds' in \
            format_latency(f)
