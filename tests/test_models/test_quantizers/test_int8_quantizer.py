"""gml.Int8Quantizer + the PT2E flow: where fake quantization goes, for the
three model families gml.QAT wraps, and what is refused (and why)."""
import copy

import pytest
import torch
import torch.nn as nn
from torchao.quantization.pt2e import FakeQuantizeBase

from gml.models.quantizers import pt2e
from gml.models.quantizers.int8_quantizer import Int8Quantizer
from gml.registry import MODELS
from gml.utils.errors import ConfigError

from .tiny_qat import tiny_config

aten = torch.ops.aten
WEIGHTED = (aten.conv2d.default, aten.linear.default)


def fake_quant(graph, node):
    """The FakeQuantize module whose output ``node`` is, else None."""
    if isinstance(node, torch.fx.Node) and node.op == 'call_module':
        module = graph.get_submodule(node.target)
        if isinstance(module, FakeQuantizeBase):
            return module
    return None


def weighted_nodes(graph):
    return [n for n in graph.graph.nodes
            if n.op == 'call_function' and n.target in WEIGHTED]


def assert_weights_and_inputs_fake_quantized(graph):
    nodes = weighted_nodes(graph)
    assert nodes
    for node in nodes:
        w, x = fake_quant(graph, node.args[1]), fake_quant(graph, node.args[0])
        assert w is not None, f'{node} weight is not fake-quantized'
        assert (w.qscheme, w.dtype, w.quant_min, w.quant_max, w.ch_axis) == \
            (torch.per_channel_symmetric, torch.int8, -127, 127, 0), node
        assert x is not None, f'{node} input is not fake-quantized'
        assert (x.qscheme, x.dtype, x.quant_min, x.quant_max) == \
            (torch.per_tensor_affine, torch.uint8, 0, 255), node
    return nodes


def downstream_until(node, stop):
    """Nodes from ``node``'s users on, up to the first ``stop`` op."""
    seen, frontier = [], list(node.users)
    while frontier:
        n = frontier.pop()
        seen.append(n)
        if n.op == 'call_function' and n.target in stop:
            continue
        frontier.extend(n.users)
    return seen


@pytest.fixture(scope='module')
def resnet_qat():
    return MODELS.build(tiny_config().model)


def test_conv_bn_relu_units_residuals_and_head(resnet_qat):
    graph = resnet_qat.architecture
    nodes = assert_weights_and_inputs_fake_quantized(graph)
    # stem + 2x2 blocks x 2 convs + 1 downsample, and the linear head
    assert len(nodes) == 11
    convs = [n for n in nodes if n.target is aten.conv2d.default]
    bns = {aten.batch_norm.default}
    for conv in convs:
        # conv and bn are one unit: nothing is quantized between them (the
        # QAT fusion scales the weight and divides the output instead) ...
        between = downstream_until(conv, bns)
        assert any(n.target in bns for n in between), conv
        assert not any(fake_quant(graph, n) for n in between), conv
    for bn in (n for n in graph.graph.nodes if n.target in bns):
        (user, ) = bn.users
        # ... and the unit's output is quantized after its relu, or right
        # after the bn when an addition follows
        if user.target in (aten.relu.default, aten.relu_.default):
            (user, ) = user.users
        assert fake_quant(graph, user) is not None, bn
    adds = [n for n in graph.graph.nodes
            if n.target in (aten.add.Tensor, aten.add_.Tensor)
            and len(n.args) == 2 and isinstance(n.args[1], torch.fx.Node)]
    assert len(adds) == 4
    for add in adds:
        assert all(fake_quant(graph, a) for a in add.args), add
        (relu, ) = add.users
        assert all(fake_quant(graph, u) for u in relu.users), add
    # the logits stay float: nothing after the head reads int8
    (output, ) = [n for n in graph.graph.nodes if n.op == 'output']
    assert output.args[0][0].target is aten.linear.default
    # per-channel weight ranges exist before any training (a resumed
    # checkpoint of a trained model must fit a freshly built one)
    for name, fq in pt2e.fake_quant_modules(graph):
        if fq.qscheme == torch.per_channel_symmetric:
            assert fq.scale.numel() > 1, name


def test_spos_subnet_and_dmcp_pruned_mobilenet(tmp_path):
    from gml.models.algorithms.pruning.subnet_io import save_subnet
    from gml.structures import dump_subnet

    from ..test_algorithms.test_nas.test_nas_spos import MODEL
    from ..test_algorithms.test_pruning.test_dmcp import dmcp_cfg
    spos_model = copy.deepcopy(MODEL)  # one block per stage: 4 choices
    spos_model['backbone']['stage_blocks'] = (1, 1, 1, 1)
    mutator = dict(type='gml.StatelessMutator')
    spos = MODELS.build(dict(type='gml.SPOS', model=spos_model,
                             mutator=mutator))
    choices = {name: cands[i % len(cands)] for i, (name, cands) in
               enumerate(spos.mutator.search_space.items())}
    assert len(set(choices.values())) == 4  # every kind of block
    dump_subnet(choices, str(tmp_path / 'subnet.yaml'))
    search = MODELS.build(dmcp_cfg())
    paths = save_subnet(search.structures()['expected'],
                        str(tmp_path / 'dmcp'))
    models = dict(
        spos=dict(type='gml.SPOS', model=spos_model, mutator=mutator,
                  mutable_cfg=str(tmp_path / 'subnet.yaml')),
        dmcp=dmcp_cfg(retraining=True, mutable_cfg=paths['yaml']))
    for name, model in models.items():
        qat = MODELS.build(dict(type='gml.QAT', model=model,
                                input_shape=(3, 8, 8)))
        nodes = assert_weights_and_inputs_fake_quantized(qat.architecture)
        float_model = MODELS.build(copy.deepcopy(model))
        n_weighted = sum(isinstance(m, (nn.Conv2d, nn.Linear))
                         for m in float_model.modules())
        assert len(nodes) == n_weighted, name
        qat._weights_from = 'test'
        inputs = torch.randn(4, 3, 8, 8)
        from mmpretrain.structures import DataSample
        samples = [DataSample().set_gt_label(i) for i in range(4)]
        qat(inputs, samples, mode='loss')['loss'].backward()
        grads = [p.grad for p in qat.parameters()]
        assert all(g is not None and g.abs().sum() > 0 for g in grads), name


def test_morphism_genotype_with_residuals_and_dropout():
    """The morphism-first chain's student: its shipped QAT config."""
    from gml.config.loading import load_config

    from ...test_tools.helpers import ROOT
    cfg = load_config(f'{ROOT}/configs/compress/models/'
                      'qat_genotype_best_fashion_mnist.py')
    qat = MODELS.build(cfg.model)
    nodes = assert_weights_and_inputs_fake_quantized(qat.architecture)
    float_model = MODELS.build(copy.deepcopy(cfg.model.model))
    weighted = [m for m in float_model.modules()
                if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(weighted) == 8  # stem, conv, 2 + 1 and 2 in the res blocks, fc
    assert any(isinstance(m, nn.Dropout) for m in float_model.modules())
    assert len(nodes) == len(weighted)
    qat._weights_from = 'test'
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    qat(torch.randn(4, 1, 28, 28), samples, mode='loss')['loss'].backward()
    grads = [p.grad for p in qat.parameters()]
    assert all(g is not None and g.abs().sum() > 0 for g in grads)


class WithTransposedConv(nn.Module):

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.up = nn.ConvTranspose2d(4, 4, 2, stride=2)

    def forward(self, x):
        return self.up(torch.relu(self.stem(x)))


def test_unsupported_op_names_module_and_why():
    example = (torch.randn(2, 3, 8, 8), )
    with pytest.raises(ConfigError) as e:
        pt2e.prepare(WithTransposedConv(), Int8Quantizer(), example, True)
    msg = str(e.value)
    assert "module 'up' (ConvTranspose2d)" in msg
    assert 'conv_transpose2d has no int8 kernel' in msg
    assert "skip_modules=['up']" in msg
    # skipped: prepared, the stem quantized and the transposed conv float
    graph = pt2e.prepare(WithTransposedConv(), Int8Quantizer(
        skip_modules=['up']), example, True)
    (conv, ) = [n for n in graph.graph.nodes
                if n.target is aten.conv2d.default]
    (up, ) = [n for n in graph.graph.nodes
              if n.target is aten.conv_transpose2d.input]
    assert fake_quant(graph, conv.args[1]) is not None
    assert fake_quant(graph, up.args[1]) is None


class DataDependent(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.gate = Gate()

    def forward(self, x):
        return self.gate(self.conv(x))


class Gate(nn.Module):

    def forward(self, x):
        if x.mean() > 0:  # a branch on the data: torch.export cannot trace
            return x
        return -x


def test_uncapturable_model_names_the_module():
    with pytest.raises(ConfigError) as e:
        pt2e.prepare(DataDependent(), Int8Quantizer(),
                     (torch.randn(2, 3, 8, 8), ), True)
    msg = str(e.value)
    assert "module 'gate' (Gate) cannot be captured by torch.export" in msg
    assert '\n' not in msg


@pytest.mark.parametrize('kwargs, key', [
    (dict(activation_dtype='int4'), 'activation_dtype'),
    (dict(weight_range=(0, 255)), 'weight_range'),
    (dict(ptq_observer='percentile'), 'ptq_observer'),
])
def test_bad_quantizer_arguments(kwargs, key):
    with pytest.raises(ConfigError, match=f'quantizer.{key}='):
        MODELS.build(dict(type='gml.Int8Quantizer', **kwargs))
