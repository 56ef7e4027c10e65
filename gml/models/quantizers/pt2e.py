"""The PT2E flow (torchao): capture, prepare for QAT or PTQ, convert.

``capture`` exports a classifier's ``forward(x) -> logits`` with a dynamic
batch dimension; ``prepare`` inserts fake quantization (QAT, conv-bn fused
so BN folds into the conv at conversion) or observers (PTQ, BN folded
first); ``convert`` returns the int8 model as quantize/dequantize ops around
float ops, which ``torch.onnx.export`` writes as QDQ ONNX.

Exported graphs ignore ``.train()``/``.eval()``: batch norm and dropout are
switched by setting their ops' ``training`` arguments (``set_mode``), which
is why an algorithm holding a prepared graph overrides ``train()``. (torchao's
``move_exported_model_to_train/eval`` does the same by pattern rewriting,
which exports six small graphs per call: seconds at every validation.)
"""
import contextlib
import copy
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.fx import GraphModule
from . import torchao_import  # noqa: F401  (first: see its docstring)
from torchao.quantization.pt2e import qat_utils
from torchao.quantization.pt2e import (FakeQuantizeBase, ObserverBase,
                                       disable_observer, enable_observer)
from torchao.quantization.pt2e.quantize_pt2e import (convert_pt2e,
                                                     prepare_pt2e,
                                                     prepare_qat_pt2e)

from gml.utils.errors import ConfigError

from .int8_quantizer import Int8Quantizer, is_identity

aten = torch.ops.aten
#: batch-norm ops, by the index of their ``training`` argument
BATCH_NORMS = {aten.batch_norm.default: 5,
               aten._native_batch_norm_legit.default: 5}
#: ops that behave differently in training, by that argument's index
TRAINING_ARG = {
    **BATCH_NORMS, aten.dropout.default: 2, aten.dropout_.default: 2,
    aten.native_dropout.default: 2, aten.feature_dropout.default: 2,
    aten.feature_dropout_.default: 2, aten.alpha_dropout.default: 2}


def capture(model: nn.Module, example_inputs: Tuple[torch.Tensor, ...]
            ) -> GraphModule:
    """``torch.export`` ``model(x)`` (batch dimension dynamic) as an aten
    graph, identity slices removed; a failure names the module."""
    batch = torch.export.Dim('batch', min=1, max=65536)
    try:
        program = torch.export.export(
            model, tuple(example_inputs),
            dynamic_shapes=({0: batch}, ) + (None, ) * (
                len(example_inputs) - 1))
    except Exception as e:  # torch.export raises many kinds
        name, cls = failing_module(model, e)
        raise ConfigError(
            f'quantization: module {name!r} ({cls}) cannot be captured by '
            f'torch.export, which PT2E quantization needs: {first_line(e)}'
        ) from e
    graph = program.module()
    for node in list(graph.graph.nodes):
        if is_identity(node):
            node.replace_all_uses_with(node.args[0])
            graph.graph.erase_node(node)
        elif _counts_batches(node):
            # the graph holds BN momentum as a constant, so the counter
            # feeds nothing; left in, it counted every forward (eval too)
            graph.graph.erase_node(node)
    graph.graph.lint()
    graph.recompile()
    return graph


def _counts_batches(node) -> bool:
    return node.op == 'call_function' and \
        node.target is aten.add_.Tensor and not node.users and \
        node.args[0].op == 'get_attr' and \
        node.args[0].target.endswith('num_batches_tracked')


def prepare(model: nn.Module, quantizer: Int8Quantizer,
            example_inputs: Tuple[torch.Tensor, ...], qat: bool
            ) -> GraphModule:
    """The fake-quant (``qat=True``) or observed (PTQ) graph of ``model``.

    QAT captures the training graph (batch norm in training mode); PTQ the
    inference graph. The graph's parameters are ``model``'s own tensors.
    """
    model.train(qat)
    graph = capture(model, example_inputs)
    fn = prepare_qat_pt2e if qat else prepare_pt2e
    return fn(graph, quantizer.for_qat(qat))


def convert(prepared: GraphModule) -> GraphModule:
    """The int8 model (q/dq ops; conv-bn folded) of a prepared graph; the
    prepared graph itself is left as it was."""
    graph = copy.deepcopy(prepared)
    set_mode(graph, False)
    with _fold_present_convs_only():
        graph = convert_pt2e(graph)
    for module in graph.modules():  # (.eval() is disabled on such graphs)
        module.training = False
    return graph


#: the aten op each conv function of torchao's conv-bn folding becomes
_CONV_OPS = {F.conv1d: aten.conv1d, F.conv2d: aten.conv2d,
             F.conv_transpose1d: aten.conv_transpose1d,
             F.conv_transpose2d: aten.conv_transpose2d}


@contextlib.contextmanager
def _fold_present_convs_only():
    """torchao folds QAT conv-bn by matching patterns it traces anew for
    each conv function (1d, 2d, transposed) at every convert: 108
    ``torch.export`` calls, 30 s on CPU whatever the model. A conv function
    the graph does not call cannot match, so its patterns are skipped; the
    converted graph is the same (tested)."""
    helper = qat_utils._fold_conv_bn_qat_helper

    def present_only(m, conv_fn, *args, **kwargs):
        op = _CONV_OPS.get(conv_fn)
        if op is None or any(
                getattr(n.target, 'overloadpacket', None) is op
                for n in m.graph.nodes if n.op == 'call_function'):
            return helper(m, conv_fn, *args, **kwargs)
        # what the helper does besides matching (the pattern rewriter
        # drops unused submodules even when nothing matches)
        m.graph.eliminate_dead_code()
        qat_utils._duplicate_dequantize_node(m)
        qat_utils._remove_extra_dequantize(m)
        m.delete_all_unused_submodules()
        m.graph.eliminate_dead_code()
        m.recompile()
        return m

    qat_utils._fold_conv_bn_qat_helper = present_only
    try:
        yield
    finally:
        qat_utils._fold_conv_bn_qat_helper = helper


def set_mode(graph: GraphModule, training: bool,
             freeze_bn: bool = False) -> None:
    """``train()``/``eval()`` for an exported graph: set the ``training``
    flag of its batch-norm and dropout ops (``.train()`` cannot: the flags
    are constants in the graph). ``freeze_bn`` keeps batch norm on its
    running statistics while training, as torchvision's QAT recipe does
    after a few epochs."""
    changed = False
    for node in graph.graph.nodes:
        idx = TRAINING_ARG.get(node.target) \
            if node.op == 'call_function' else None
        if idx is None or len(node.args) <= idx:
            continue
        flag = training and not (freeze_bn and node.target in BATCH_NORMS)
        if node.args[idx] != flag:
            node.args = node.args[:idx] + (flag, ) + node.args[idx + 1:]
            changed = True
    if changed:
        graph.recompile()


def set_observers(graph: nn.Module, enabled: bool) -> None:
    """Let observers update quantization ranges, or freeze them."""
    graph.apply(enable_observer if enabled else disable_observer)


def fake_quant_modules(graph: nn.Module) -> List[Tuple[str, nn.Module]]:
    return [(n, m) for n, m in graph.named_modules()
            if isinstance(m, FakeQuantizeBase)]


def observer_modules(graph: nn.Module) -> List[Tuple[str, nn.Module]]:
    return [(n, m) for n, m in graph.named_modules()
            if isinstance(m, ObserverBase)
            and not n.endswith('.activation_post_process')]


def failing_module(model: nn.Module, error: BaseException) -> Tuple[str, str]:
    """The innermost module of ``model`` whose code raised ``error``."""
    names = {id(m): n for n, m in model.named_modules()}
    found, seen = None, set()
    while error is not None and id(error) not in seen:  # re-raised causes
        seen.add(id(error))
        tb = error.__traceback__
        while tb is not None:
            obj = tb.tb_frame.f_locals.get('self')
            if isinstance(obj, nn.Module) and id(obj) in names:
                found = (names[id(obj)] or '<top level>', type(obj).__name__)
            tb = tb.tb_next
        if found is not None and found[0] != '<top level>':
            return found
        error = error.__cause__ or error.__context__
    return found or ('<top level>', type(model).__name__)


def first_line(error: BaseException) -> str:
    for line in str(error).splitlines():
        if line.strip():
            return f'{type(error).__name__}: {line.strip()}'
    return type(error).__name__
