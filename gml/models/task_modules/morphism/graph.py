"""Where a layer's output goes: a torch.fx reading of any ``nn.Module``.

The transforms work on models of standard torch layers without asking the
model to describe itself: the forward is traced with ``torch.fx`` (standard
``torch.nn`` layers are leaves) and the graph is followed from the widened
layer through element-wise ops, pooling, BatchNorm, depthwise convs,
concatenation and flattening to the layers that read its channels. A
residual sum joins the layers whose outputs it adds: every branch of the
sum is widened together (its other operands traced back to their dense
producers, and everything reading those followed as well), so the sum's
new units are sums of new units. Anything else on the way (a gating
product, a LayerNorm, an op fx cannot follow) is an error naming the layer
and the op, never a silent wrong widening.
"""
import inspect
import operator
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd

from .errors import MorphismError

_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d,
          nn.AvgPool2d, nn.AvgPool3d, nn.AdaptiveAvgPool1d,
          nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool1d,
          nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)
_DROPOUTS = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
             nn.Identity)
_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU,
                nn.Sigmoid, nn.Tanh, nn.Hardswish, nn.Hardsigmoid, nn.Mish,
                nn.Softplus, nn.Upsample)
#: modules that act on each channel alone and have no per-channel weights
PASS_MODULES = _POOLS + _DROPOUTS + _ACTIVATIONS
_POOL_FUNCTIONS = {F.max_pool1d, F.max_pool2d, F.max_pool3d, F.avg_pool1d,
                   F.avg_pool2d, F.avg_pool3d, F.adaptive_avg_pool1d,
                   F.adaptive_avg_pool2d, F.adaptive_avg_pool3d,
                   F.adaptive_max_pool1d, F.adaptive_max_pool2d,
                   F.adaptive_max_pool3d}
_RELU_FUNCTIONS = {F.relu, torch.relu, F.relu_, torch.relu_, F.relu6}
PASS_FUNCTIONS = _POOL_FUNCTIONS | _RELU_FUNCTIONS | {
    F.gelu, F.silu, F.leaky_relu, F.elu, F.hardswish, F.hardsigmoid, F.mish,
    torch.sigmoid, torch.tanh, F.dropout, F.dropout1d, F.dropout2d,
    F.dropout3d, F.interpolate, torch.clamp}
PASS_METHODS = {'relu', 'relu_', 'sigmoid', 'tanh', 'clamp', 'clamp_',
                'contiguous', 'float', 'to'}
_ARITH = {operator.add, operator.sub, operator.mul, operator.truediv,
          operator.iadd, operator.imul, torch.add, torch.sub, torch.mul,
          torch.div}
_ARITH_METHODS = {'add', 'add_', 'sub', 'sub_', 'mul', 'mul_', 'div', 'div_'}
#: element-wise ops whose tensor operands can all be widened together
_SUMS = {operator.add, operator.sub, operator.iadd, operator.isub, torch.add,
         torch.sub, 'add', 'add_', 'sub', 'sub_'}
_SHAPE_METHODS = {'size', 'dim'}


class _Tracer(fx.Tracer):
    """fx's tracer with extra leaf modules (by qualified name)."""

    def __init__(self, leaves: Set[str]):
        super().__init__()
        self.leaves = leaves

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return qualname in self.leaves or super().is_leaf_module(m, qualname)


def _concrete_args(model: nn.Module, fn: str) -> Dict:
    """Fix every forward argument after the input to its default (e.g. an
    mmengine model's ``data_samples=None, mode='tensor'``)."""
    params = list(inspect.signature(model.forward).parameters.values())
    concrete = {}
    for p in params[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is p.empty:
            raise MorphismError(
                f'{fn}: {type(model).__name__}.forward needs argument '
                f'{p.name!r}; the transforms trace forward(x) with every other '
                'argument at its default')
        concrete[p.name] = p.default
    return concrete


def trace(model: nn.Module, fn: str, leaves=()) -> fx.Graph:
    """The forward graph of ``model`` (one tensor input)."""
    tracer = _Tracer(set(leaves))
    try:
        return tracer.trace(model, concrete_args=_concrete_args(model, fn))
    except MorphismError:
        raise
    except Exception as e:  # fx raises many types for untraceable code
        raise MorphismError(
            f'{fn}: torch.fx cannot trace {type(model).__name__}.forward '
            f'({type(e).__name__}: {str(e).splitlines()[0][:200]}); the '
            'transforms need a forward without data-dependent control '
            'flow') from None


def is_dense(m: nn.Module) -> bool:
    """A layer whose output units can be widened: Linear or a dense conv."""
    return isinstance(m, nn.Linear) or (
        isinstance(m, _ConvNd) and not m.transposed and m.groups == 1)


def is_depthwise(m: nn.Module) -> bool:
    return (isinstance(m, _ConvNd) and not m.transposed and m.groups > 1
            and m.groups == m.in_channels == m.out_channels)


def out_units(m: nn.Module) -> int:
    return m.out_features if isinstance(m, nn.Linear) else m.out_channels


# -- what a node's output looks like, read backwards --
@dataclass
class Info:
    """What widening needs to know of one traced tensor.

    Args:
        width: channels (or features once flat); None when unknown.
        nd: spatial dimensions (0 = a flat ``(N, F)`` tensor).
        spatial: number of spatial positions when known.
    """
    width: Optional[int]
    nd: Optional[int]
    spatial: Optional[int] = None


def _first_node(node: fx.Node) -> Optional[fx.Node]:
    for a in node.args:
        if isinstance(a, fx.Node):
            return a
    return None


def _pool_size(out_size, nd) -> Optional[int]:
    if out_size is None:
        return None
    if isinstance(out_size, int):
        return out_size ** nd
    if any(s is None for s in out_size):
        return None
    size = 1
    for s in out_size:
        size *= s
    return size


def _flat_info(inp: Info) -> Info:
    if inp.nd == 0:
        return inp
    width = (inp.width * inp.spatial if inp.width is not None
             and inp.spatial is not None else None)
    return Info(width, 0, None)


def info(node: fx.Node, modules: Dict[str, nn.Module]) -> Info:
    """Width, dimensionality and spatial size of ``node``'s output, found
    from the layers that produced it (no input shape needed)."""
    if node.op == 'call_module':
        m = modules[node.target]
        src = _first_node(node)
        if isinstance(m, nn.Linear):
            return Info(m.out_features, 0, None)
        if isinstance(m, _ConvNd):
            return Info(m.out_channels, len(m.kernel_size), None)
        if isinstance(m, _BatchNorm):
            inp = info(src, modules) if src is not None else Info(None, None)
            return Info(m.num_features, inp.nd, inp.spatial)
        if isinstance(m, nn.Flatten) and m.start_dim == 1:
            return _flat_info(info(src, modules))
        if isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d,
                          nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool1d,
                          nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)):
            inp = info(src, modules)
            return Info(inp.width, inp.nd,
                        _pool_size(m.output_size, inp.nd or 0))
        if isinstance(m, PASS_MODULES):
            inp = info(src, modules)
            keep = isinstance(m, _DROPOUTS + _ACTIVATIONS[:-1])
            return Info(inp.width, inp.nd, inp.spatial if keep else None)
        return Info(None, None)
    if node.op == 'call_function':
        f = node.target
        src = _first_node(node)
        if f in (torch.cat, torch.concat):
            parts = [info(t, modules) for t in node.args[0]]
            widths = [p.width for p in parts]
            width = None if None in widths else sum(widths)
            return Info(width, parts[0].nd, parts[0].spatial)
        if f is torch.flatten and _flatten_start(node) == 1:
            return _flat_info(info(src, modules))
        if f in (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d,
                 F.adaptive_avg_pool3d, F.adaptive_max_pool1d,
                 F.adaptive_max_pool2d, F.adaptive_max_pool3d):
            inp = info(src, modules)
            size = node.args[1] if len(node.args) > 1 else node.kwargs.get(
                'output_size')
            return Info(inp.width, inp.nd, _pool_size(size, inp.nd or 0))
        if f in PASS_FUNCTIONS or f in _ARITH:
            inp = info(src, modules) if src is not None else Info(None, None)
            keep = f not in _POOL_FUNCTIONS and f is not F.interpolate
            return Info(inp.width, inp.nd, inp.spatial if keep else None)
        return Info(None, None)
    if node.op == 'call_method':
        src = node.args[0]
        if node.target in PASS_METHODS or node.target in _ARITH_METHODS:
            return info(src, modules)
        if _is_flatten_method(node):
            return _flat_info(info(src, modules))
        if node.target == 'mean':
            inp = info(src, modules)
            if _mean_reduces_spatial(node, inp.nd):
                keep = _kwarg(node, 2, 'keepdim', False)
                return Info(inp.width, inp.nd if keep else 0, 1)
        return Info(None, None)
    return Info(None, None)


def _kwarg(node: fx.Node, pos: int, name: str, default=None):
    if len(node.args) > pos:
        return node.args[pos]
    return node.kwargs.get(name, default)


def _flatten_start(node: fx.Node) -> int:
    return _kwarg(node, 1, 'start_dim', 0)


def _is_flatten_method(node: fx.Node) -> bool:
    """``x.flatten(1)``, ``x.view(n, -1)``, ``x.reshape(n, -1)``."""
    if node.target == 'flatten':
        return _kwarg(node, 1, 'start_dim', 0) == 1
    if node.target in ('view', 'reshape'):
        shape = node.args[1:]
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return len(shape) == 2 and shape[1] == -1
    return False


def _mean_reduces_spatial(node: fx.Node, nd: Optional[int]) -> bool:
    dims = _kwarg(node, 1, 'dim', None)
    if dims is None or not nd:
        return False
    dims = [dims] if isinstance(dims, int) else list(dims)
    rank = nd + 2
    dims = sorted(d % rank for d in dims)
    return dims == list(range(2, rank))


# -- forward: who reads the widened channels --
@dataclass
class Reader:
    """A module that reads the widened units.

    Args:
        name: the module's qualified name.
        offset: where the widened units start in its input (channels, or
            features once flat).
        factor: how many input positions each unit occupies (the spatial
            positions of a flattened channel).
    """
    name: str
    offset: int
    factor: int = 1


@dataclass
class WidenTarget:
    """Everything that changes when ``producers`` (layers whose outputs are
    summed, usually one) get more output units.

    Args:
        producers: the layers whose outputs get the new units.
        old: their output units before widening.
        norms: normalisation layers on those outputs.
        depthwise: depthwise convs that pass the units through.
        consumers: layers that read the units and get new input weights.
    """
    producers: List[str]
    old: int
    norms: List[Reader] = field(default_factory=list)  # BatchNorm
    depthwise: List[Reader] = field(default_factory=list)
    consumers: List[Reader] = field(default_factory=list)

    @property
    def layer(self) -> str:
        return self.producers[0] if self.producers else '(none)'


@dataclass
class _State:
    offset: int = 0
    flat: bool = False
    factor: Optional[int] = 1       # positions per unit once flat
    flat_width: Optional[int] = None  # channels of the flattened tensor
    cat_after_flat: bool = False


def find_widen_target(model: nn.Module, layer: str,
                      fn: str = 'widen') -> WidenTarget:
    """The norms, depthwise convs and consumers reading ``layer``'s units."""
    modules = dict(model.named_modules())
    if layer not in modules or layer == '':
        raise MorphismError(f'{fn}: {type(model).__name__} has no module '
                            f'named {layer!r}')
    mod = modules[layer]
    if not is_dense(mod):
        raise MorphismError(
            f'{fn}: {layer!r} is a {type(mod).__name__}; only Linear and '
            'Conv layers with groups=1 have output units to widen')
    graph = trace(model, fn)
    calls = [n for n in graph.nodes
             if n.op == 'call_module' and n.target == layer]
    if len(calls) != 1:
        raise MorphismError(
            f'{fn}: {layer!r} is called {len(calls)} times in forward; a '
            'layer is widened only when it runs exactly once')
    call_counts: Dict[str, int] = {}
    for n in graph.nodes:
        if n.op == 'call_module':
            call_counts[n.target] = call_counts.get(n.target, 0) + 1
    target = WidenTarget([layer], out_units(mod))
    start = _State() if isinstance(mod, _ConvNd) else _State(flat=True)
    follower = _Follower(target, modules, call_counts, fn)
    follower.nodes[layer] = calls[0]
    follower.follow(calls[0], start)
    if not target.consumers:
        raise MorphismError(f'{fn}: no layer reads the output of {layer!r}')
    return target


class _Follower:

    def __init__(self, target: WidenTarget, modules, call_counts, fn):
        self.target = target
        self.modules = modules
        self.call_counts = call_counts
        self.fn = fn
        self.seen: Set[Tuple[str, int]] = set()
        self.sums: Set[str] = set()  # residual sums already followed
        self.nodes: Dict[str, fx.Node] = {}  # producer -> its call

    def fail(self, why: str):
        raise MorphismError(f'{self.fn}: cannot widen '
                            f'{self.target.layer!r}: {why}')

    def follow(self, node: fx.Node, state: _State) -> None:
        for user in list(node.users):
            self.visit(user, node, state)

    def visit(self, user: fx.Node, src: fx.Node, s: _State) -> None:
        if user.op == 'output':
            self.fail('its units reach the model output (the output shape '
                      'would change)')
        if user.op == 'call_module':
            return self._module(user, src, s)
        if user.op == 'call_function':
            return self._function(user, src, s)
        if user.op == 'call_method':
            return self._method(user, src, s)
        self.fail(f'its units reach {user.op} {user.target!r}, which the '
                  'transforms cannot follow')

    def _record(self, kind: List[Reader], name: str, reader: Reader):
        key = (name, reader.offset)
        if key in self.seen:
            return False
        if self.call_counts.get(name, 0) > 1:
            self.fail(f'{name!r}, which reads its units, is called '
                      f'{self.call_counts[name]} times (shared weights)')
        self.seen.add(key)
        kind.append(reader)
        return True

    def _module(self, user, src, s):
        m = self.modules[user.target]
        name = user.target
        if isinstance(m, _BatchNorm):
            if s.flat and s.factor != 1:
                self.fail(f'{name!r} normalises flattened features')
            if self._record(self.target.norms, name, Reader(name, s.offset)):
                self.follow(user, s)
        elif isinstance(m, _ConvNd) and not m.transposed:
            if s.flat:
                self.fail(f'conv {name!r} reads flattened features')
            if m.groups == 1:
                self._record(self.target.consumers, name,
                             Reader(name, s.offset))
            elif is_depthwise(m):
                if self._record(self.target.depthwise, name,
                                Reader(name, s.offset)):
                    self.follow(user, s)
            else:
                self.fail(f'grouped conv {name!r} (groups={m.groups}) '
                          'reads its units')
        elif isinstance(m, nn.Linear):
            self._linear(name, m, s)
        elif isinstance(m, nn.Flatten):
            if m.start_dim != 1:
                self.fail(f'{name!r} flattens from dim {m.start_dim}, not 1')
            self.follow(user, self._flatten(src, s))
        elif isinstance(m, PASS_MODULES):
            self.follow(user, self._after_pass(user, s))
        else:
            self.fail(f'its units reach {name!r} ({type(m).__name__}), '
                      'which the transforms cannot follow')

    def _linear(self, name, m, s):
        if not s.flat:
            self.fail(f'Linear {name!r} reads a tensor with spatial '
                      'dimensions (it would act on the last one, not on the '
                      'channels); flatten or pool first')
        factor, offset = s.factor, s.offset
        if factor is None:  # spatial size unknown: read it off the Linear
            if s.cat_after_flat or not s.flat_width:
                self.fail(f'cannot tell how many features of {name!r} each '
                          'channel occupies (pool to a fixed size before '
                          'flattening)')
            factor, rest = divmod(m.in_features, s.flat_width)
            if rest:
                self.fail(f'{name!r} has {m.in_features} inputs, not a '
                          f'multiple of the {s.flat_width} flattened '
                          'channels')
            offset = s.offset * factor
        self._record(self.target.consumers, name, Reader(name, offset,
                                                         factor))

    def _after_pass(self, user, s):
        m = self.modules.get(user.target) if user.op == 'call_module' else None
        is_pool = (isinstance(m, _POOLS)
                   or user.target in _POOL_FUNCTIONS)
        if s.flat and is_pool:
            self.fail(f'{user.target!r} pools flattened features')
        return s

    def _flatten(self, src, s):
        if s.flat:
            return s
        inp = info(src, self.modules)
        factor = inp.spatial
        return _State(offset=s.offset * factor if factor else s.offset,
                      flat=True, factor=factor, flat_width=inp.width)

    def _function(self, user, src, s):
        f = user.target
        if f in PASS_FUNCTIONS:
            if user.args[0] is not src:
                self.fail(f'{user.name} ({f.__name__}) uses its units as a '
                          'parameter, not as its input')
            self.follow(user, self._after_pass(user, s))
        elif f is torch.flatten:
            if _flatten_start(user) != 1:
                self.fail(f'{user.name} flattens from dim '
                          f'{_flatten_start(user)}, not 1')
            self.follow(user, self._flatten(src, s))
        elif f in (torch.cat, torch.concat):
            self.follow(user, self._cat(user, src, s))
        elif f in _ARITH:
            self._arith(user, src, s)
        elif f in (getattr, operator.getitem) and user.args[1] in (
                'shape', 'dtype', 'device'):
            return
        else:
            self.fail(f'its units reach {getattr(f, "__name__", f)} '
                      f'({user.name}), which the transforms cannot follow')

    def _arith(self, user, src, s):
        others = [a for a in user.args if a is not src]
        tensors = [a for a in others if isinstance(a, fx.Node)]
        if len(others) != len(user.args) - 1:
            self.fail(f'{user.name} uses its units twice')
        if not tensors:  # a scalar op: unit by unit
            return self.follow(user, s)
        if user.target not in _SUMS:
            self.fail(f'its units meet another tensor in {user.name} (a '
                      'gating product): the other operand would need the '
                      'same new units')
        if user.name in self.sums:  # reached again from another branch
            return
        if s.flat or s.offset:
            self.fail(f'{user.name} adds its units to another tensor at '
                      f'offset {s.offset}{" of flattened features" if s.flat else ""}'
                      '; only whole-width residual sums are widened')
        self.sums.add(user.name)
        for other in tensors:
            for node in self._producers_of(other, user):
                self._add_producer(node, user)
        self.follow(user, s)

    def _producers_of(self, node: fx.Node, at: fx.Node) -> List[fx.Node]:
        """The dense layers whose units ``node`` carries, through
        per-channel ops and other sums."""
        if node is None:
            self.fail(f'{at.name} adds its units to a tensor of unknown '
                      'origin')
        if node.op == 'call_module':
            m = self.modules[node.target]
            if is_dense(m):
                return [node]
            if isinstance(m, (_BatchNorm, ) + PASS_MODULES) or is_depthwise(
                    m):
                return self._producers_of(_first_node(node), at)
        elif node.op == 'call_function' and node.target in PASS_FUNCTIONS:
            return self._producers_of(_first_node(node), at)
        elif node.op == 'call_method' and node.target in PASS_METHODS:
            return self._producers_of(_first_node(node), at)
        elif node.op in ('call_function', 'call_method') and \
                node.target in _SUMS:
            # an earlier sum: all its operands' producers (each is followed
            # forward, which reaches and follows this sum)
            return [p for a in node.args if isinstance(a, fx.Node)
                    for p in self._producers_of(a, at)]
        where = ('the model input' if node.op == 'placeholder'
                 else f'{node.op} {getattr(node.target, "__name__", node.target)!r}')
        self.fail(f'{at.name} adds its units to a tensor from {where}, whose '
                  'units cannot be widened with them')

    def _add_producer(self, node: fx.Node, at: fx.Node) -> None:
        name = node.target
        if name in self.target.producers:
            return
        m = self.modules[name]
        if out_units(m) != self.target.old:
            self.fail(f'{at.name} adds its {self.target.old} units to the '
                      f'{out_units(m)} of {name!r}')
        if self.call_counts.get(name, 0) > 1:
            self.fail(f'{name!r}, which {at.name} adds to its units, is '
                      f'called {self.call_counts[name]} times (shared '
                      'weights)')
        self.target.producers.append(name)
        self.nodes[name] = node
        start = _State() if isinstance(m, _ConvNd) else _State(flat=True)
        self.follow(node, start)

    def _cat(self, user, src, s):
        tensors = list(user.args[0])
        dim = _kwarg(user, 1, 'dim', 0)
        if tensors.count(src) != 1:
            self.fail(f'{user.name} concatenates its units more than once')
        rank_dim = 1 if not s.flat else (1, -1)
        if dim != 1 and not (s.flat and dim in rank_dim):
            self.fail(f'{user.name} concatenates along dim {dim}, not the '
                      'channels')
        before = 0
        for t in tensors[:tensors.index(src)]:
            w = info(t, self.modules).width
            if w is None:
                self.fail(f'cannot tell the width of {t.name}, which '
                          f'{user.name} concatenates before its units')
            before += w
        if s.flat and s.factor is None:
            # offsets in features are only known once the factor is
            if before:
                self.fail(f'{user.name} concatenates flattened features of '
                          'unknown size before its units')
            return _State(s.offset, True, None, s.flat_width, True)
        return _State(s.offset + before, s.flat, s.factor, s.flat_width,
                      s.cat_after_flat or s.flat)

    def _method(self, user, src, s):
        name = user.target
        if user.args[0] is not src:
            self.fail(f'{user.name} ({name}) uses its units as an argument')
        if name in _SHAPE_METHODS:
            return
        if name in PASS_METHODS:
            self.follow(user, s)
        elif name in _ARITH_METHODS:
            self._arith(user, src, s)
        elif _is_flatten_method(user):
            self.follow(user, self._flatten(src, s))
        elif name == 'mean' and not s.flat:
            nd = info(src, self.modules).nd
            if not _mean_reduces_spatial(user, nd):
                self.fail(f'{user.name} averages over the channels')
            keep = _kwarg(user, 2, 'keepdim', False)
            self.follow(user, s if keep else _State(s.offset, True, 1, None))
        else:
            self.fail(f'its units reach .{name}() ({user.name}), which the '
                      'transforms cannot follow')


# -- deepening: where a module's output is --
def output_node(model: nn.Module, name: str, fn: str
                ) -> Tuple[fx.Node, Dict[str, nn.Module]]:
    """The node holding the output of module ``name`` in ``model``'s
    forward (``name`` is traced as one call)."""
    modules = dict(model.named_modules())
    if name not in modules or name == '':
        raise MorphismError(f'{fn}: {type(model).__name__} has no module '
                            f'named {name!r}')
    graph = trace(model, fn)
    calls = [n for n in graph.nodes
             if n.op == 'call_module' and n.target == name]
    if not calls:  # a container: find its last node, used outside of it
        inside = [n for n in graph.nodes
                  if name in (n.meta.get('nn_module_stack') or {})]
        exits = [n for n in inside
                 if any(name not in (u.meta.get('nn_module_stack') or {})
                        for u in n.users)]
        if not inside:
            raise MorphismError(f'{fn}: {name!r} is never called in forward')
        calls = exits
    if len(calls) != 1:
        raise MorphismError(
            f'{fn}: {name!r} produces {len(calls)} outputs in forward (it '
            'runs more than once, or returns several tensors); a block is '
            'inserted only after a module that runs once and returns one '
            'tensor')
    return calls[0], modules


def relu_before(node: fx.Node, modules) -> Optional[nn.Module]:
    """The ReLU/ReLU6 whose output ``node`` is, through ops that keep values
    non-negative (pooling, dropout, flattening); None if there is none."""
    while node is not None:
        if node.op == 'call_module':
            m = modules[node.target]
            if isinstance(m, (nn.ReLU, nn.ReLU6)):
                return type(m)()
            if not isinstance(m, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d,
                                  nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
                                  nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d,
                                  nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool1d,
                                  nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d,
                                  nn.Flatten) + _DROPOUTS):
                return None
        elif node.op == 'call_function':
            if node.target in (F.relu, torch.relu, F.relu_, torch.relu_):
                return nn.ReLU()
            if node.target is F.relu6:
                return nn.ReLU6()
            if not (node.target in _POOL_FUNCTIONS
                    or node.target is torch.flatten
                    or node.target in (F.dropout, F.dropout2d)):
                return None
        elif node.op == 'call_method':
            if node.target in ('relu', 'relu_'):
                return nn.ReLU()
            if not (_is_flatten_method(node) or node.target == 'contiguous'):
                return None
        else:
            return None
        node = _first_node(node)
    return None
