"""gml's int8 recipe for torchao's PT2E flow: what is quantized, and how.

A PT2E ``Quantizer`` only *annotates* an exported aten graph; torchao's
``prepare_qat_pt2e``/``prepare_pt2e`` insert the observers and fake-quant
modules, fuse conv-bn for QAT, and ``convert_pt2e`` writes the int8 graph.

Why gml has its own annotator rather than torchao's X86InductorQuantizer
(measured on torch 2.14.1 / torchao 0.18.0, see docs/quantization.md): that
quantizer finds conv-bn-relu by the *module types* of the calls (source
partitions), so it crashes on mmpretrain's ResNet (one ``ReLU`` module
called twice per block), annotates nothing in the DMCP-pruned MobileNetV2
(``F.conv2d`` on sliced weights inside a custom module), and spends ~1 min
matching a small ShuffleNetV2 subnet (a product over all partitions).
Matching aten ops along the graph's edges has none of those problems.
"""
import copy
from typing import Optional, Sequence, Tuple

import torch
from torch.fx import GraphModule, Node
from . import torchao_import  # noqa: F401  (first: see its docstring)
from torchao.quantization.pt2e import (FusedMovingAvgObsFakeQuantize,
                                       HistogramObserver, MinMaxObserver,
                                       MovingAverageMinMaxObserver,
                                       MovingAveragePerChannelMinMaxObserver,
                                       PerChannelMinMaxObserver)
from torchao.quantization.pt2e.quantizer import (QuantizationAnnotation,
                                                 QuantizationSpec, Quantizer,
                                                 SharedQuantizationSpec)

from gml.utils.errors import ConfigError

aten = torch.ops.aten
ANNOTATION = 'quantization_annotation'
#: ops with a weight: int8 input, per-channel int8 weight (axis 0)
WEIGHTED = {aten.conv1d.default, aten.conv2d.default, aten.linear.default}
#: ops folded into the producer's output quantization (conv-bn-relu)
BATCH_NORM = {aten.batch_norm.default,
              aten._native_batch_norm_legit_no_training.default}
ACTIVATIONS = {aten.relu.default, aten.relu_.default, aten.relu6.default,
               aten.hardtanh.default, aten.hardtanh_.default}
ADD = {aten.add.Tensor, aten.add_.Tensor}
#: int8 in, int8 out with the input's scale (runtimes keep them in int8)
SHARED = {aten.max_pool2d.default}
#: ops with weights this recipe cannot quantize, and why
UNSUPPORTED = {
    aten.conv3d.default: 'conv3d',
    aten.conv_transpose1d.default: 'conv_transpose1d',
    aten.conv_transpose2d.input: 'conv_transpose2d',
    aten.conv_transpose3d.input: 'conv_transpose3d',
    aten.convolution.default: 'convolution (generic form)',
    aten.embedding.default: 'embedding',
}
SUPPORTED_TEXT = 'conv1d, conv2d, linear (+ batch norm, relu/relu6), ' \
    'add, max_pool2d'
DTYPES = {'int8': (torch.int8, -128, 127), 'uint8': (torch.uint8, 0, 255)}
PTQ_OBSERVERS = {'histogram': HistogramObserver, 'minmax': MinMaxObserver}


class Int8Quantizer(Quantizer):
    """Per-channel symmetric int8 weights, per-tensor 8-bit activations.

    Quantized: the input, weight and output of every conv1d/conv2d/linear,
    with a following batch norm and relu/relu6 folded into one unit (its
    output is quantized after the activation), both inputs and the output
    (after a following relu) of residual additions, and max-pooling (same
    scale as its input). Everything else runs in float between
    dequantize/quantize pairs.

    Args:
        activation_dtype: ``'uint8'`` (per-tensor affine, 0..255; the
            default: onnxruntime's x86 kernels fuse u8 activations with s8
            weights into QLinearConv/QLinearAdd throughout, measured) or
            ``'int8'`` (-128..127; ARM runtimes' preferred s8s8 -- on x86
            onnxruntime leaves conv+relu units in float).
        weight_range: integer range of the per-channel symmetric weights;
            (-127, 127) keeps zero exact and avoids int16 overflow in the
            u8s8 kernels of x86 runtimes.
        averaging_constant: QAT observers' moving-average step.
        ptq_observer: activation observer for post-training calibration:
            ``'histogram'`` (minimises the quantization error, slower) or
            ``'minmax'``.
        skip_modules: names of modules (and their children) kept in float,
            e.g. ``['head']``.
    """

    def __init__(self,
                 activation_dtype: str = 'uint8',
                 weight_range: Tuple[int, int] = (-127, 127),
                 averaging_constant: float = 0.01,
                 ptq_observer: str = 'histogram',
                 skip_modules: Sequence[str] = ()):
        super().__init__()
        if activation_dtype not in DTYPES:
            raise ConfigError(
                f'quantizer.activation_dtype={activation_dtype!r}: expected '
                f'one of {sorted(DTYPES)}')
        if ptq_observer not in PTQ_OBSERVERS:
            raise ConfigError(
                f'quantizer.ptq_observer={ptq_observer!r}: expected one of '
                f'{sorted(PTQ_OBSERVERS)}')
        lo, hi = (int(v) for v in weight_range)
        if not -128 <= lo < 0 < hi <= 127:
            raise ConfigError(f'quantizer.weight_range={tuple(weight_range)}'
                              ': expected a signed range within (-128, 127)')
        self.activation_dtype = activation_dtype
        self.weight_range = (lo, hi)
        self.averaging_constant = float(averaging_constant)
        self.ptq_observer = ptq_observer
        self.skip_modules = tuple(skip_modules)
        self.is_qat = True

    def for_qat(self, is_qat: bool) -> 'Int8Quantizer':
        """A copy annotating for QAT (fake quant) or PTQ (observers)."""
        other = copy.copy(self)
        other.is_qat = is_qat
        return other

    # specs -------------------------------------------------------------------
    def activation_spec(self) -> QuantizationSpec:
        dtype, lo, hi = DTYPES[self.activation_dtype]
        if self.is_qat:
            ctr = FusedMovingAvgObsFakeQuantize.with_args(
                observer=MovingAverageMinMaxObserver,
                averaging_constant=self.averaging_constant, eps=2**-12)
        else:
            ctr = PTQ_OBSERVERS[self.ptq_observer].with_args(eps=2**-12)
        return QuantizationSpec(dtype=dtype, quant_min=lo, quant_max=hi,
                                qscheme=torch.per_tensor_affine,
                                observer_or_fake_quant_ctr=ctr)

    def weight_spec(self) -> QuantizationSpec:
        if self.is_qat:
            ctr = FusedMovingAvgObsFakeQuantize.with_args(
                observer=MovingAveragePerChannelMinMaxObserver,
                averaging_constant=self.averaging_constant, eps=2**-12)
        else:
            ctr = PerChannelMinMaxObserver.with_args(eps=2**-12)
        lo, hi = self.weight_range
        return QuantizationSpec(dtype=torch.int8, quant_min=lo, quant_max=hi,
                                qscheme=torch.per_channel_symmetric,
                                ch_axis=0, observer_or_fake_quant_ctr=ctr)

    # the Quantizer interface -------------------------------------------------
    def annotate(self, model: GraphModule) -> GraphModule:
        act, weight = self.activation_spec(), self.weight_spec()
        for node in model.graph.nodes:
            if node.op != 'call_function' or self._skipped(node) \
                    or _annotated(node):
                continue
            if node.target in WEIGHTED and _is_float(node.args[0]):
                self._annotate_weighted(node, act, weight)
            elif node.target in ADD and all(
                    _is_float(a) for a in node.args[:2]):
                _annotate(node, {a: act for a in node.args[:2]})
                _annotate_output(_fused_output(node, ACTIVATIONS), node, act)
            elif node.target in SHARED and _is_quantized_output(
                    node.args[0]):
                _annotate(node, {node.args[0]: act},
                          SharedQuantizationSpec((node.args[0], node)))
        return model

    def validate(self, model: GraphModule) -> None:
        """Refuse weights this recipe would silently leave in float."""
        for node in model.graph.nodes:
            if node.op != 'call_function' or self._skipped(node):
                continue
            why = None
            if node.target in UNSUPPORTED:
                why = (f'{UNSUPPORTED[node.target]} has no int8 kernel in '
                       'this recipe')
            elif node.target in WEIGHTED and not _annotated(node):
                why = (f'{node.target.__name__.split(".")[0]} on a '
                       f'{_dtype_of(node.args[0])} input cannot be quantized')
            if why:
                name, cls = module_of(node)
                raise ConfigError(
                    f'quantization: module {name!r} ({cls}) is not supported:'
                    f' {why} (int8 here: {SUPPORTED_TEXT}); keep it in float '
                    f"with quantizer.skip_modules=['{name}']")

    # helpers -----------------------------------------------------------------
    def _annotate_weighted(self, node: Node, act, weight) -> None:
        _annotate(node, {node.args[0]: act, node.args[1]: weight})
        out = _fused_output(node, BATCH_NORM)
        out = _fused_output(out, ACTIVATIONS)
        if any(user.op == 'output' for user in out.users):
            return  # logits stay float: nothing downstream reads int8
        _annotate_output(out, node, act)

    def _skipped(self, node: Node) -> bool:
        if not self.skip_modules:
            return False
        names = [v[0] for v in node.meta.get('nn_module_stack', {}).values()]
        return any(n == s or n.startswith(s + '.')
                   for n in names for s in self.skip_modules)


def module_of(node: Node) -> Tuple[str, str]:
    """(qualified name, class name) of the module a graph node came from."""
    stack = node.meta.get('nn_module_stack') or {}
    if not stack:
        return '<top level>', 'model'
    name, cls = list(stack.values())[-1]
    cls = cls if isinstance(cls, str) else cls.__qualname__
    return name, cls.rsplit('.', 1)[-1]


def _annotate(node: Node, inputs: dict, output=None) -> None:
    node.meta[ANNOTATION] = QuantizationAnnotation(
        input_qspec_map=inputs, output_qspec=output, _annotated=True)


def _annotate_output(out: Node, start: Node, spec) -> None:
    """Quantize ``out``; nodes between ``start`` and it are one unit."""
    node = out
    while node is not start:
        node.meta.setdefault(ANNOTATION,
                             QuantizationAnnotation(_annotated=True))
        node = node.args[0]
    out.meta[ANNOTATION].output_qspec = spec


def _fused_output(node: Node, targets: set) -> Node:
    """``node``'s sole user when it is one of ``targets``, else ``node``."""
    users = list(node.users)
    if len(users) == 1 and users[0].op == 'call_function' and \
            users[0].target in targets and users[0].args[0] is node:
        return users[0]
    return node


def _annotated(node: Node) -> bool:
    ann = node.meta.get(ANNOTATION)
    return ann is not None and ann._annotated


def _is_quantized_output(node) -> bool:
    ann = node.meta.get(ANNOTATION) if isinstance(node, Node) else None
    return ann is not None and ann.output_qspec is not None


def _dtype_of(node) -> str:
    val = node.meta.get('val') if isinstance(node, Node) else None
    return str(getattr(val, 'dtype', type(node).__name__))


def _is_float(node) -> bool:
    val = node.meta.get('val') if isinstance(node, Node) else None
    return isinstance(val, torch.Tensor) and val.dtype.is_floating_point


def is_identity(node: Node) -> bool:
    """A slice/alias that returns its whole input (removable)."""
    if node.op != 'call_function':
        return False
    if node.target is aten.alias.default:
        return True
    if node.target is not aten.slice.Tensor:
        return False
    src, out = node.args[0].meta.get('val'), node.meta.get('val')
    if src is None or out is None:
        return False
    shapes = (tuple(src.shape), tuple(out.shape))
    step = node.args[4] if len(node.args) > 4 else 1
    start = node.args[2] if len(node.args) > 2 else 0
    return all(isinstance(d, int) for s in shapes for d in s) and \
        shapes[0] == shapes[1] and step == 1 and start in (None, 0)
