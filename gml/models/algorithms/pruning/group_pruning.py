"""Group pruning of any traceable model on torch-pruning's DepGraph.

``GroupPruning`` wraps an ordinary model. Pruning (``prune_step``, called
by ``GroupPruningHook`` at the configured epochs) finds the pruning ratio
that meets the FLOPs (or params) target by bisection on a deep copy, then
removes the channels torch-pruning's pruner chose, group by group. Every
removal is recorded as the kept out-channels of each layer in the
original model's indexing; that record is ``pruning_spec.yaml``.

With ``pruning_spec=PATH`` the unpruned model is built and the spec is
replayed through the same dependency graph, so an ordinary state-dict
checkpoint of the pruned model loads into any config of the same model.
"""
import contextlib
import copy
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import yaml

from gml.registry import MODELS
from gml.utils.errors import UserError

from ..base import BaseAlgorithm

SPEC_FORMAT = 'gml.GroupPruning/1'
IMPORTANCES = ('l1', 'l2', 'taylor', 'bn_scale')


class PruningSpecError(UserError):
    """A pruning spec does not fit the model, or cannot be read."""


class UntraceableModelError(UserError):
    """torch-pruning's dependency graph does not reach a layer."""


def _tp():
    import torch_pruning as tp
    return tp


def _prunable(module: nn.Module) -> bool:
    return isinstance(module, (nn.modules.conv._ConvNd, nn.Linear,
                               nn.modules.batchnorm._BatchNorm))


def _out_channels(module: nn.Module) -> int:
    if isinstance(module, nn.modules.conv._ConvNd):
        return module.out_channels
    if isinstance(module, nn.Linear):
        return module.out_features
    return module.num_features


def _is_depthwise(module: nn.Module) -> bool:
    return isinstance(module, nn.modules.conv._ConvNd) and \
        module.groups > 1 and module.groups == module.in_channels


@MODELS.register_module()
class GroupPruning(BaseAlgorithm):
    """Structured (channel) pruning of any model with torch-pruning.

    Args:
        model: the model to prune (config dict or module); it must run
            ``model(x, mode='tensor')`` (mmengine models) or ``model(x)``.
        input_shape: the example input torch-pruning traces and counts
            FLOPs with, e.g. ``(1, 3, 224, 224)``.
        target_flops: FLOPs to keep: a ratio of the unpruned model's
            (``<= 1``) or an absolute count (``> 1``). Met within 5 %.
        target_params: the same for parameters; give one of the two.
        importance: ``'l1'``/``'l2'`` (group weight magnitude), ``'taylor'``
            (first-order Taylor, from ``taylor_batches`` batches of the
            training set in dataset order, on rank 0) or ``'bn_scale'``.
        taylor_batches: batches of gradients Taylor importance sums.
        global_pruning: rank channels across layers (ratios differ per
            layer) instead of one uniform ratio.
        round_to: keep channel counts multiples of this.
        ignored_layers: module names never pruned; default: the first
            module named ``head`` (e.g. ``architecture.head`` in a wrapped
            SPOS subnet): the classifier keeps its classes.
        prune_epochs: epochs before which ``GroupPruningHook`` prunes; the
            FLOPs target is reached linearly over them. ``[0]``: one-shot.
        max_pruning_ratio: no layer loses more than this share.
        pruning_spec: a ``pruning_spec.yaml``: rebuild the pruned model
            instead of pruning (``mutable_cfg`` is the same, DMCP's name).
        mutable_cfg: alias of ``pruning_spec``.
        data_preprocessor: see ``BaseAlgorithm``.
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 model: Union[Dict, nn.Module],
                 input_shape: Sequence[int] = (1, 3, 224, 224),
                 target_flops: Optional[float] = None,
                 target_params: Optional[float] = None,
                 importance: str = 'l1',
                 taylor_batches: int = 4,
                 global_pruning: bool = False,
                 round_to: Optional[int] = None,
                 ignored_layers: Optional[List[str]] = None,
                 prune_epochs: Sequence[int] = (0, ),
                 max_pruning_ratio: float = 0.9,
                 pruning_spec: Optional[str] = None,
                 mutable_cfg: Optional[str] = None,
                 data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None):
        super().__init__(model, data_preprocessor, init_cfg)
        if importance not in IMPORTANCES:
            raise UserError(f'GroupPruning: importance {importance!r}; '
                            f'expected one of {list(IMPORTANCES)}')
        if target_flops is not None and target_params is not None:
            raise UserError('GroupPruning: give target_flops or '
                            'target_params, not both')
        self.input_shape = tuple(int(s) for s in input_shape)
        self.target_flops = target_flops
        self.target_params = target_params
        self.importance = importance
        self.taylor_batches = int(taylor_batches)
        self.global_pruning = bool(global_pruning)
        self.round_to = round_to
        self.prune_epochs = sorted(int(e) for e in prune_epochs)
        self.max_pruning_ratio = float(max_pruning_ratio)
        names = dict(self.architecture.named_modules())
        if ignored_layers is None:  # the classifier head, however nested
            ignored_layers = [n for n in names
                              if n == 'head' or n.endswith('.head')][:1]
        for name in ignored_layers:
            if name not in names:
                raise UserError(f'GroupPruning: ignored_layers: no module '
                                f'{name!r} in the model')
        self.ignored_layers = list(ignored_layers)
        # out-channels kept, in the unpruned model's indexing
        self._orig_out = {n: _out_channels(m) for n, m in names.items()
                          if _prunable(m)}
        self._kept = {n: list(range(c)) for n, c in self._orig_out.items()}
        self.steps_done = 0
        self._bound = None
        spec = pruning_spec or mutable_cfg
        self.pruning_spec = spec
        if spec:
            spec = load_spec(spec)
            # the spec was traced at its own input size
            self.input_shape = tuple(spec.get('input_shape',
                                              self.input_shape))
        self.base_flops, self.base_params = self.count()
        if spec:
            self.apply_spec(spec)

    # tracing ------------------------------------------------------------
    def example_inputs(self) -> torch.Tensor:
        param = next(self.architecture.parameters())
        return torch.randn(self.input_shape, device=param.device)

    def _forward_fn(self, model, inputs):
        from mmengine.model import BaseModel
        with contextlib.ExitStack() as stack:
            # modules whose ops the tracer misreads swap them meanwhile
            contexts = {getattr(type(m), 'pruning_trace_context', None)
                        for m in model.modules()} - {None}
            for context in contexts:
                stack.enter_context(context())
            if isinstance(model, BaseModel):
                return model(inputs, mode='tensor')
            return model(inputs)

    def _gather_bound(self) -> List[str]:
        """Layers whose out-channels reach a channel gather (e.g. the
        ShuffleNet shuffle, traced as one). torch-pruning reads a gather as
        element-wise, so pruning through it would drop the wrong channels:
        these layers are never pruned. Found once, on the unpruned model."""
        if self._bound is None:
            tp = _tp()
            model = self.architecture
            dg = self._graph(model)
            self._bound = []
            for name, m in model.named_modules():
                if not isinstance(m, (nn.modules.conv._ConvNd, nn.Linear)) \
                        or m not in dg.module2node:
                    continue
                fn = dg.get_pruner_of_module(m).prune_out_channels
                group = dg.get_pruning_group(m, fn, [0])
                if any(isinstance(dep.target.module, tp.ops._ElementWiseOp)
                       and 'Index' in str(dep.target.module._grad_fn)
                       for dep, _ in group):
                    self._bound.append(name)
        return self._bound

    def count(self, model: Optional[nn.Module] = None):
        """(FLOPs as multiply-accumulates, params) of ``model``."""
        model = self.architecture if model is None else model
        tp = _tp()
        wrapped = _TensorForward(model, self._forward_fn)
        macs, params = tp.utils.count_ops_and_params(
            wrapped, self.example_inputs())
        return float(macs), float(params)

    def _graph(self, model: nn.Module):
        tp = _tp()
        try:
            dg = tp.DependencyGraph().build_dependency(
                model, example_inputs=self.example_inputs(),
                forward_fn=self._forward_fn)
        except Exception as e:  # the tracer's own failure, on one line
            raise UntraceableModelError(
                f'GroupPruning: torch-pruning cannot trace '
                f'{type(model).__name__}: {type(e).__name__}: {e}') from e
        self._check_traced(model, dg)
        return dg

    def _check_traced(self, model: nn.Module, dg) -> None:
        """Refuse a model with a prunable layer the graph does not reach:
        pruning it would silently leave that layer as it was."""
        for name, m in model.named_modules():
            if _prunable(m) and m not in dg.module2node and \
                    any(p.requires_grad for p in m.parameters()):
                raise UntraceableModelError(
                    f"GroupPruning: torch-pruning cannot trace module "
                    f"'{name}' ({type(m).__name__}): it is not reached by "
                    f"the forward pass from input {list(self.input_shape)}")

    # kept channels ----------------------------------------------------------
    @staticmethod
    def _record(group, dg, kept: Dict[str, List[int]]) -> None:
        """Remove ``group``'s out-channels from ``kept``, before pruning."""
        tp = _tp()
        seen = set()
        for dep, idxs in group:
            module = dep.target.module
            name = dg._module2name.get(module)
            if name is None or name in seen or name not in kept:
                continue
            if not (dg.is_out_channel_pruning_fn(dep.handler)
                    or _is_depthwise(module)):
                continue
            seen.add(name)
            drop = set(int(i) for i in tp._helpers.to_plain_idxs(idxs))
            kept[name] = [k for i, k in enumerate(kept[name])
                          if i not in drop]

    def _verify_kept(self, model: nn.Module, kept) -> None:
        for name, m in model.named_modules():
            if name in kept and len(kept[name]) != _out_channels(m):
                raise UntraceableModelError(
                    f"GroupPruning: module '{name}' ({type(m).__name__}) "
                    f"has {_out_channels(m)} out-channels after pruning, "
                    f"but torch-pruning's groups account for "
                    f"{len(kept[name])}")

    def spec(self) -> dict:
        """The pruning spec (what ``pruning_spec.yaml`` holds)."""
        flops, params = self.count()
        layers = {}
        for name, orig in self._orig_out.items():
            kept = self._kept[name]
            layers[name] = dict(out_channels=orig, kept=len(kept))
            if len(kept) < orig:
                layers[name]['kept_idx'] = list(kept)
        return dict(format=SPEC_FORMAT, input_shape=list(self.input_shape),
                    steps=self.steps_done,
                    flops=dict(original=self.base_flops, pruned=flops),
                    params=dict(original=self.base_params, pruned=params),
                    layers=layers)

    def apply_spec(self, spec: dict) -> None:
        """Prune the model (unpruned or pruned by an earlier spec) to
        ``spec`` through the dependency graph."""
        layers = spec.get('layers')
        if not isinstance(layers, dict):
            raise PruningSpecError('pruning spec: no `layers` mapping')
        # the first mismatching layer in model order, then spec-only ones
        for name, orig in self._orig_out.items():
            entry = layers.get(name)
            if entry is None:
                raise PruningSpecError(
                    f"pruning spec does not fit the model: layer '{name}' "
                    f'is not in the spec')
            if int(entry.get('out_channels', -1)) != orig:
                raise PruningSpecError(
                    f"pruning spec does not fit the model: layer '{name}' "
                    f"has {orig} out-channels in the model, the spec "
                    f"says {entry.get('out_channels')}")
            idx = entry.get('kept_idx', list(range(orig)))
            if any(not 0 <= int(i) < orig for i in idx) or \
                    len(idx) != int(entry.get('kept', len(idx))):
                raise PruningSpecError(
                    f"pruning spec: layer '{name}': kept_idx does not fit "
                    f'its {orig} out-channels')
        for name in layers:
            if name not in self._orig_out:
                raise PruningSpecError(
                    f"pruning spec does not fit the model: layer '{name}' "
                    f'is not in the model')
        tp = _tp()
        model = self.architecture
        dg = self._graph(model)
        modules = dict(model.named_modules())
        for name, entry in layers.items():
            target = set(int(i) for i in entry.get(
                'kept_idx', range(self._orig_out[name])))
            missing = target - set(self._kept[name])
            if missing:
                raise PruningSpecError(
                    f"pruning spec: layer '{name}' keeps channels "
                    f'{sorted(missing)[:5]} that are already pruned')
            drop = [i for i, k in enumerate(self._kept[name])
                    if k not in target]
            if not drop:
                continue
            module = modules[name]
            fn = dg.get_pruner_of_module(module).prune_out_channels
            group = dg.get_pruning_group(module, fn, drop)
            self._record(group, dg, self._kept)
            group.prune(record_history=False)
        for name, entry in layers.items():
            want = [int(i) for i in entry.get(
                'kept_idx', range(self._orig_out[name]))]
            if self._kept[name] != want:
                raise PruningSpecError(
                    f"pruning spec does not fit the model: layer '{name}' "
                    f'cannot keep exactly these channels (its dependency '
                    f'group keeps {len(self._kept[name])} of '
                    f'{self._orig_out[name]})')
        self._verify_kept(model, self._kept)
        self.steps_done = int(spec.get('steps', self.steps_done))

    # pruning ------------------------------------------------------------
    def step_target(self, step: int, steps: int) -> Optional[float]:
        """The absolute FLOPs (or params) after ``step`` of ``steps``."""
        target = self.target_flops if self.target_flops is not None \
            else self.target_params
        if target is None:
            return None
        base = self.base_flops if self.target_flops is not None \
            else self.base_params
        final = target * base if target <= 1 else float(target)
        return base - (base - final) * step / steps

    def _importance(self):
        tp = _tp().importance
        if self.importance in ('l1', 'l2'):
            return tp.GroupMagnitudeImportance(
                p=1 if self.importance == 'l1' else 2)
        if self.importance == 'taylor':
            return tp.GroupTaylorImportance()
        return tp.BNScaleImportance()

    def _pruner(self, model: nn.Module, ratio: float):
        tp = _tp()
        modules = dict(model.named_modules())
        try:
            return tp.pruner.MetaPruner(
                model, self.example_inputs(), importance=self._importance(),
                global_pruning=self.global_pruning, pruning_ratio=ratio,
                max_pruning_ratio=self.max_pruning_ratio,
                ignored_layers=[modules[n] for n in self.ignored_layers
                                + self._gather_bound()],
                round_to=self.round_to, forward_fn=self._forward_fn)
        except Exception as e:  # the tracer's own failure, on one line
            raise UntraceableModelError(
                f'GroupPruning: torch-pruning cannot trace '
                f'{type(model).__name__}: {type(e).__name__}: {e}') from e

    def _prune_copy(self, ratio: float, batches):
        """A pruned deep copy at ``ratio`` and its kept channels."""
        model = copy.deepcopy(self.architecture)
        pruner = self._pruner(model, ratio)
        self._check_traced(model, pruner.DG)
        if self.importance == 'taylor':
            self._taylor_grads(model, batches)
        kept = copy.deepcopy(self._kept)
        for group in pruner.step(interactive=True):
            self._record(group, pruner.DG, kept)
            group.prune()
        model.zero_grad(set_to_none=True)
        return model, kept

    def _taylor_grads(self, model: nn.Module, batches) -> None:
        if not batches:
            raise UserError('GroupPruning: Taylor importance needs '
                            'training batches (run it from a training '
                            'config with GroupPruningHook)')
        model.zero_grad(set_to_none=True)
        training = model.training
        model.train()
        for data in batches:
            data = self.data_preprocessor(copy.deepcopy(data), True)
            losses = model(data['inputs'], data['data_samples'],
                           mode='loss')
            loss, _ = self.parse_losses(losses)
            loss.backward()
        model.train(training)

    def search_spec(self, step: int, steps: int, batches=None) -> dict:
        """The spec after pruning ``step`` of ``steps``: the largest
        pruning ratio whose FLOPs/params are not below the step's target,
        by bisection on deep copies (the model itself is not changed)."""
        target = self.step_target(step, steps)
        if target is None:
            raise UserError('GroupPruning: set target_flops or '
                            'target_params')
        use_flops = self.target_flops is not None
        lo, hi = 0.0, 1.0
        best = None  # the closest to the target; ties: not below it
        for _ in range(14):
            mid = (lo + hi) / 2
            model, kept = self._prune_copy(mid, batches)
            flops, params = self.count(model)
            value = flops if use_flops else params
            if value >= target:
                lo = mid
            else:
                hi = mid
            key = (abs(value - target), value < target)
            if best is None or key < best[0]:
                best = (key, kept, flops, params)
            if best[0][0] <= 0.02 * target:
                break
        if step == steps and best[0][0] > 0.05 * target:
            what = 'FLOPs' if use_flops else 'params'
            value = best[2] if use_flops else best[3]
            # suggest only what is not set already
            hints = [h for h, off in (('global_pruning=True',
                                       not self.global_pruning),
                                      ('a round_to below '
                                       f'{self.round_to}', self.round_to))
                     if off] or ['another target']
            raise UserError(
                f'GroupPruning: the {what} target {target:.4g} cannot be met '
                f'within 5 %: the closest pruning ratio gives {value:.4g} '
                f'(layers too narrow for the steps; try '
                f'{" or ".join(hints)})')
        best = best[1:]
        spec = self.spec()
        spec['flops']['pruned'], spec['params']['pruned'] = best[1:]
        for name, kept in best[0].items():
            spec['layers'][name]['kept'] = len(kept)
            if len(kept) < self._orig_out[name]:
                spec['layers'][name]['kept_idx'] = list(kept)
        spec['steps'] = step
        return spec


class _TensorForward(nn.Module):
    """``forward(x)`` of a model that needs ``mode='tensor'``."""

    def __init__(self, model, forward_fn):
        super().__init__()
        self.model = model
        self._fn = forward_fn

    def forward(self, x):
        return self._fn(self.model, x)


@MODELS.register_module(name='PrunedModel')
def build_pruned_model(model: Dict, pruning_spec: str) -> nn.Module:
    """``model`` (a config) pruned to ``pruning_spec``, as the plain module:
    how a model nested in an algorithm (a KD student: ``--cfg-options
    model.model.pruning_spec=PATH``) takes a spec."""
    return GroupPruning(model, pruning_spec=pruning_spec).architecture


def load_spec(path: str) -> dict:
    """Read a ``pruning_spec.yaml``; a bad file is a ``PruningSpecError``."""
    try:
        with open(path) as f:
            spec = yaml.safe_load(f)
    except OSError as e:
        raise PruningSpecError(f'pruning spec {path!r}: cannot read it '
                               f'({e.strerror})') from e
    except yaml.YAMLError as e:
        raise PruningSpecError(f'pruning spec {path!r}: not YAML') from e
    if not isinstance(spec, dict) or spec.get('format') != SPEC_FORMAT:
        raise PruningSpecError(f'pruning spec {path!r}: not a '
                               f'{SPEC_FORMAT} file')
    return spec


def dump_spec(spec: dict, path: str) -> None:
    with open(path, 'w') as f:
        yaml.safe_dump(spec, f, sort_keys=False, default_flow_style=None)
