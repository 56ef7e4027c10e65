"""pt2e.convert folds QAT conv-bn for the conv functions the graph calls
only: the skipped ones' patterns match nothing, so the result is the same."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchao.quantization.pt2e import qat_utils

from gml.models.quantizers import pt2e
from gml.models.quantizers.int8_quantizer import Int8Quantizer

aten = torch.ops.aten


def prepared_conv2d_bn():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(8, 4))
    x = torch.randn(4, 3, 8, 8)
    graph = pt2e.prepare(model, Int8Quantizer(), (x, ), qat=True)
    for _ in range(3):  # running statistics and ranges of their own
        graph(torch.randn(4, 3, 8, 8))
    return graph, x


def batch_norms(graph):
    return [n for n in graph.graph.nodes if n.target in pt2e.BATCH_NORMS]


def test_a_skipped_conv_function_would_have_matched_nothing(monkeypatch):
    from torchao.quantization.pt2e import quantize_pt2e
    fold, seen = quantize_pt2e._fold_conv_bn_qat, []

    def recording(m):
        m = fold(m)
        seen.append(m)
        return m

    monkeypatch.setattr(quantize_pt2e, '_fold_conv_bn_qat', recording)
    graph, _ = prepared_conv2d_bn()
    assert batch_norms(graph)
    pt2e.convert(graph)
    folded, = seen
    assert not batch_norms(folded)  # conv2d's patterns ran and folded it
    code, state = folded.code, set(folded.state_dict())
    # torchao's own helper for a conv function the graph lacks: no change
    again = qat_utils._fold_conv_bn_qat_helper(
        folded, F.conv_transpose2d,
        (torch.randn(1, 1, 3, 3), torch.randn(1, 1, 1, 1), torch.randn(1),
         torch.randn(1), torch.randn(1), torch.randn(1)), is_cuda=False)
    assert again.code == code and set(again.state_dict()) == state


def test_convert_restores_torchao_and_matches_the_fake_quant_graph():
    helper = qat_utils._fold_conv_bn_qat_helper
    graph, x = prepared_conv2d_bn()
    pt2e.set_mode(graph, False)
    expected = graph(x)
    int8 = pt2e.convert(graph)
    assert qat_utils._fold_conv_bn_qat_helper is helper
    assert not batch_norms(int8)
    assert any(n.target is aten.conv2d.default for n in int8.graph.nodes)
    # folding moves BN into the conv before rounding: close, not equal
    torch.testing.assert_close(int8(x), expected, atol=0.1, rtol=0)
