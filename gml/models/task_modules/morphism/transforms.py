"""Function-preserving transforms of any ``nn.Module`` of standard layers.

Each returns a transformed copy (the argument is left untouched) whose
outputs equal the original's in eval mode up to float rounding:

- ``net2wider`` / ``r2wider``: more output units for the Conv/Linear at
  dotted path ``layer``; its BatchNorm(s), depthwise convs and every layer
  reading it follow (found by tracing the forward with torch.fx).
- ``net2deeper`` / ``r2deeper``: a new identity-initialised block after
  the module at ``after``, which becomes ``nn.Sequential(original, new)``
  (its parameters move to ``after.0.*``; the new block is ``after.1``).
- ``widen_kernel``: a larger odd kernel for a conv, padded with zeros.

A transform that does not apply raises :class:`MorphismError` naming the
layer and the reason.
"""
import copy
from typing import Optional

import torch
import torch.nn as nn
from torch.nn.modules.conv import _ConvNd

from .errors import MorphismError
from .graph import (WidenTarget, find_widen_target, info, output_node,
                    relu_before, trace)
from .identity import net2deeper_block, r2deeper_block, random_block
from .widen_plan import WidenPlan

#: BatchNorm tensors and the value new units get when not copied.
BN_FILL = {'weight': 1.0, 'bias': 0.0, 'running_mean': 0.0,
           'running_var': 1.0}


def _generator(seed: Optional[int]) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(torch.initial_seed() if seed is None else seed)
    return g


def _set(module: nn.Module, name: str, value: torch.Tensor) -> None:
    old = getattr(module, name)
    if isinstance(old, nn.Parameter):
        setattr(module, name, nn.Parameter(
            value.to(old.device, old.dtype), requires_grad=old.requires_grad))
    else:
        setattr(module, name, value.to(old.device, old.dtype))


def _on_segment(t: torch.Tensor, offset: int, old: int, fn) -> torch.Tensor:
    """Apply ``fn`` to ``t[offset:offset + old]`` (dim 0), keep the rest."""
    return torch.cat([t[:offset], fn(t[offset:offset + old]),
                      t[offset + old:]])


def apply_widen(model: nn.Module, target: WidenTarget,
                plan: WidenPlan) -> None:
    """Widen ``model`` in place as ``target`` and ``plan`` say."""
    modules = dict(model.named_modules())
    extra = plan.extra
    for name in target.producers:
        layer = modules[name]
        _set(layer, 'weight', plan.out_rows(layer.weight))
        if layer.bias is not None:
            _set(layer, 'bias', plan.out_rows(layer.bias, zero_new=True))
        if isinstance(layer, nn.Linear):
            layer.out_features += extra
        else:
            layer.out_channels += extra
    # a module may read the units at several offsets (e.g. directly and
    # through a concatenation): later offsets first keep earlier ones valid
    def readers(kind):
        return sorted(kind, key=lambda r: -r.offset)

    for r in readers(target.norms):
        bn = modules[r.name]
        for key, fill in BN_FILL.items():
            t = getattr(bn, key, None)
            if t is not None:
                _set(bn, key, _on_segment(
                    t, r.offset, plan.old,
                    lambda s, f=fill: plan.channelwise(s, f)))
        bn.num_features += extra
    for r in readers(target.depthwise):
        conv = modules[r.name]
        _set(conv, 'weight', _on_segment(conv.weight, r.offset, plan.old,
                                         plan.out_rows))
        if conv.bias is not None:
            _set(conv, 'bias', _on_segment(
                conv.bias, r.offset, plan.old,
                lambda s: plan.out_rows(s, zero_new=True)))
        conv.in_channels += extra
        conv.out_channels += extra
        conv.groups += extra
    for r in readers(target.consumers):
        m = modules[r.name]
        _set(m, 'weight', plan.in_cols(m.weight, 1, r.offset, r.factor))
        if isinstance(m, nn.Linear):
            m.in_features += extra * r.factor
        else:
            m.in_channels += extra


def widen(model: nn.Module, layer: str, new_width: int,
          method: str = 'net2net', *, split: str = 'equal',
          noise: float = 0.0, init_scale: float = 1.0,
          seed: Optional[int] = None) -> nn.Module:
    """``layer`` (a Conv with groups=1 or a Linear) with ``new_width``
    output units, every layer that reads them adapted.

    Args:
        model: any module whose forward torch.fx can trace.
        layer: dotted path, e.g. ``'backbone.layer1.0.conv1'``.
        new_width: the new number of output channels/features.
        method: ``'net2net'``, ``'r2r'`` (both exact) or ``'random'``
            (new units random: the baseline, not function-preserving).
        split, noise, init_scale: see :class:`WidenPlan`.
        seed: of the transform's own RNG (default: torch's initial seed).
    """
    fn = {'net2net': 'net2wider', 'r2r': 'r2wider'}.get(method, 'widen')
    target = find_widen_target(model, layer, fn)
    if new_width <= target.old:
        raise MorphismError(f'{fn}: {layer!r} has {target.old} units; '
                            f'new_width={new_width} must be larger')
    plan = WidenPlan(target.old, new_width, method, split=split, noise=noise,
                     init_scale=init_scale, generator=_generator(seed))
    child = copy.deepcopy(model)
    apply_widen(child, target, plan)
    return child


def net2wider(model: nn.Module, layer: str, new_width: int, *,
              split: str = 'equal', noise: float = 0.0,
              seed: Optional[int] = None) -> nn.Module:
    """Net2WiderNet (Chen et al., 2016): new units copy random existing
    ones; readers split their weights among the copies. ``split='random'``
    breaks the copies' symmetry exactly; ``noise`` breaks it approximately
    (see :class:`WidenPlan`)."""
    return widen(model, layer, new_width, 'net2net', split=split,
                 noise=noise, seed=seed)


def r2wider(model: nn.Module, layer: str, new_width: int, *,
            init_scale: float = 1.0, seed: Optional[int] = None
            ) -> nn.Module:
    """R2WiderR: new units in identical pairs that readers weigh with
    ``V`` and ``-V``; random new weights, exact function."""
    return widen(model, layer, new_width, 'r2r', init_scale=init_scale,
                 seed=seed)


def _width_at(model: nn.Module, after: str, fn: str):
    node, modules = output_node(model, after, fn)
    out = info(node, modules)
    if out.width is None or out.nd is None:
        raise MorphismError(
            f'{fn}: cannot tell the width of the output of {after!r} from '
            'the layers that produce it')
    return node, modules, out


def _insert(model: nn.Module, after: str, block: nn.Module,
            fn: str) -> nn.Module:
    child = copy.deepcopy(model)
    parent_name, _, attr = after.rpartition('.')
    parent = child.get_submodule(parent_name) if parent_name else child
    original = getattr(parent, attr)
    setattr(parent, attr, nn.Sequential(original, block))
    # the forward must reach the new block through the attribute
    graph = trace(child, fn)
    new = f'{after}.1'
    if not any(str(n.target).startswith(new + '.') or new in (
            n.meta.get('nn_module_stack') or {}) for n in graph.nodes):
        raise MorphismError(
            f'{fn}: {type(model).__name__}.forward does not call {after!r} '
            'through its attribute (e.g. it indexes into it), so a block '
            'wrapped with it would never run')
    return child


def deepen(model: nn.Module, after: str, method: str = 'net2net', *,
           kernel_size: int = 3, bn: bool = True, noise: float = 0.0,
           init_scale: float = 1.0, seed: Optional[int] = None
           ) -> nn.Module:
    """A new block after the module at ``after``.

    Args:
        method: ``'net2net'`` (``layer -> BN -> activation`` at the
            identity; ``after``'s output must come from a ReLU/ReLU6),
            ``'r2r'`` (a residual block whose branch starts at zero;
            applies anywhere) or ``'random'`` (Net2Net's block, randomly
            initialised: the baseline).
        kernel_size: of the new convs (odd; ignored for flat features).
        bn: give the new block BatchNorm.
        noise: net2net: noise std relative to ``1/sqrt(fan_in)`` added to
            the identity weights (the function then moves by about that).
        init_scale: r2r: std of the new weights relative to He init.
    """
    fn = {'net2net': 'net2deeper', 'r2r': 'r2deeper'}.get(method, 'deepen')
    node, modules, out = _width_at(model, after, fn)
    g = _generator(seed)
    if method == 'r2r':
        block = r2deeper_block(out.width, out.nd, kernel_size, bn,
                               init_scale, g)
    elif method in ('net2net', 'random'):
        act = relu_before(node, modules)
        if act is None and method == 'net2net':
            raise MorphismError(
                f'{fn}: the output of {after!r} does not come from a ReLU: '
                'Net2DeeperNet is exact only after an idempotent activation '
                '(insert after the ReLU, or use r2deeper, which applies '
                'anywhere)')
        act = act or nn.ReLU()
        block = (net2deeper_block(out.width, out.nd, act, kernel_size, bn,
                                  noise, g) if method == 'net2net' else
                 random_block(out.width, out.nd, act, kernel_size, bn))
    else:
        raise MorphismError(f'{fn}: unknown method {method!r}; expected '
                            "'net2net', 'r2r' or 'random'")
    return _insert(model, after, block, fn)


def net2deeper(model: nn.Module, after: str, *, kernel_size: int = 3,
               bn: bool = True, noise: float = 0.0,
               seed: Optional[int] = None) -> nn.Module:
    """Net2DeeperNet: an identity ``layer -> BN -> ReLU`` after ``after``,
    whose output must come from a ReLU (or ReLU6)."""
    return deepen(model, after, 'net2net', kernel_size=kernel_size, bn=bn,
                  noise=noise, seed=seed)


def r2deeper(model: nn.Module, after: str, *, kernel_size: int = 3,
             bn: bool = True, init_scale: float = 1.0,
             seed: Optional[int] = None) -> nn.Module:
    """R2DeeperR: ``x + branch(x)`` after ``after``, the branch's output
    zero through paired units; keeps a skip path, applies anywhere."""
    return deepen(model, after, 'r2r', kernel_size=kernel_size, bn=bn,
                  init_scale=init_scale, seed=seed)


def pad_kernel(weight: torch.Tensor, kernel_size) -> torch.Tensor:
    """``weight`` (out, in, *k) zero-padded (centred) to ``kernel_size``."""
    old = weight.shape[2:]
    new = ((kernel_size, ) * len(old) if isinstance(kernel_size, int)
           else tuple(kernel_size))
    pads = []
    for o, n in zip(reversed(old), reversed(new)):
        if n < o or (n - o) % 2:
            raise MorphismError(f'cannot pad a {tuple(old)} kernel to '
                                f'{new}: the new size must be larger by an '
                                'even amount')
        pads += [(n - o) // 2] * 2
    return torch.nn.functional.pad(weight.detach(), pads)


def widen_kernel(model: nn.Module, layer: str, kernel_size: int
                 ) -> nn.Module:
    """The conv at ``layer`` with a larger kernel: the old kernel in the
    centre, zeros around, padding grown to match (exact for stride-any,
    dilation-1 convs with symmetric zero padding)."""
    modules = dict(model.named_modules())
    conv = modules.get(layer)
    if not isinstance(conv, _ConvNd) or conv.transposed:
        raise MorphismError(f'widen_kernel: {layer!r} is not a conv layer '
                            f'of {type(model).__name__}')
    if any(d != 1 for d in conv.dilation) or conv.padding_mode != 'zeros' \
            or isinstance(conv.padding, str):
        raise MorphismError(f'widen_kernel: {layer!r} needs dilation 1 and '
                            'numeric zero padding')
    child = copy.deepcopy(model)
    conv = child.get_submodule(layer)
    weight = pad_kernel(conv.weight, kernel_size)
    grow = [(n - o) // 2 for n, o in zip(weight.shape[2:],
                                         conv.kernel_size)]
    _set(conv, 'weight', weight)
    conv.kernel_size = tuple(weight.shape[2:])
    conv.padding = tuple(p + g for p, g in zip(conv.padding, grow))
    return child

