"""Inference latency of any subnet from a per-op table measured once.

Timing every candidate of a search as a whole network costs seconds each;
SPOS's blocks keep the shape of what flows between them, so a subnet's
latency is close to a fixed part plus the sum of its chosen ops' latencies
(the idea of FBNet's and ProxylessNAS's lookup tables). The table times
each (block, choice) on that block's real input, on the current device,
with warm-up and a fixed batch; the fixed part (stem, head, the calls
between blocks) is what whole-subnet timings of a few calibration subnets
leave over. Whole-subnet timings of other random subnets then check the
table, and their error is logged and stored with it.

The runtime is the one the chosen model ships in: onnxruntime on CPU by
default (each op and each whole subnet exported to ONNX and run by an
onnxruntime session with as many threads as PyTorch has), PyTorch eager as
an option. The two differ by an order of magnitude on small models (eager
PyTorch pays a per-op dispatch cost onnxruntime does not), and so does
which subnet is fastest.

Timings interleave the ops in rounds and keep each op's median over rounds,
so a load change on a shared machine shifts all ops alike instead of
biasing one.
"""
import copy
import hashlib
import json
import os.path as osp
import platform
import random
import statistics
import tempfile
import time
import warnings
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn

from gml.utils.fileio import atomic_dump_json

LUT_VERSION = 1
#: where a table's timings come from; tables saved before the key existed
#: were eager PyTorch
RUNTIMES = ('onnxruntime', 'pytorch')
#: what is timed: a forward (inference), or a training step's forward and
#: backward (train: PyTorch only, BN in train mode)
MODES = ('inference', 'train')


def device_name(device: torch.device) -> str:
    """What the timings are valid for: the GPU's or the CPU's model."""
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    name = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    name = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return f'cpu: {name}'


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def pick_clock(device: torch.device, clock: str = 'auto') -> str:
    """``'thread'`` (this thread's CPU time) for a CPU model run by one
    thread under ``'auto'``, otherwise ``'wall'``."""
    if clock not in ('auto', 'wall', 'thread'):
        raise ValueError(f"latency clock must be 'auto', 'wall' or "
                         f"'thread', got {clock!r}")
    if clock == 'auto':
        single = device.type == 'cpu' and torch.get_num_threads() == 1
        return 'thread' if single else 'wall'
    return clock


def time_rounds(fns: Sequence[Callable[[], object]], device: torch.device,
                warmup: int, repeats: int, rounds: int,
                quantile: float = 0.25, clock: str = 'wall',
                grad: bool = False) -> List[float]:
    """Latency (ms) of each ``fn``: after ``warmup`` untimed calls of each,
    ``rounds`` rounds time every fn ``repeats`` times in turn, one call at a
    time; the result is the ``quantile`` of those calls.

    A low quantile rather than the mean: on a shared machine a long call is
    likelier to be preempted than a short one, so means (and medians under
    heavy load) inflate whole networks more than their ops and break the
    sum. What is left is the latency of the device when it is not
    contended, the figure a deployment sees. ``clock='thread'`` times with
    the calling thread's CPU clock instead of the wall clock: for a model
    that one CPU thread runs, that is its latency on an idle core, and
    other processes' load does not enter it at all.
    """
    samples = time_samples(fns, device, warmup, repeats, rounds, clock, grad)
    return [float(np.quantile(sum(s, []), quantile)) for s in samples]


def time_samples(fns: Sequence[Callable[[], object]], device: torch.device,
                 warmup: int, repeats: int, rounds: int,
                 clock: str = 'wall', grad: bool = False
                 ) -> List[List[List[float]]]:
    """The timings (ms) :func:`time_rounds` takes: ``[fn][round][call]``.
    Every round times each fn in turn, so load that changes over time
    reaches all of them alike. ``grad``: the fns run backward passes (no
    inference mode)."""
    now = time.thread_time if clock == 'thread' else time.perf_counter
    samples = [[] for _ in fns]
    with (torch.enable_grad() if grad else torch.inference_mode()):
        for fn in fns:
            for _ in range(warmup):
                fn()
        for _ in range(rounds):
            for i, fn in enumerate(fns):
                calls = []
                for _ in range(repeats):
                    _sync(device)
                    t0 = now()
                    fn()
                    _sync(device)
                    calls.append((now() - t0) * 1e3)
                samples[i].append(calls)
    return samples


def compare_latency(fns: Dict[str, Callable[[], object]],
                    device: torch.device = torch.device('cpu'),
                    warmup: int = 3, repeats: int = 5, rounds: int = 7,
                    clock: str = 'auto') -> Dict[str, Dict[str, float]]:
    """Latency of models being compared, timed in interleaved rounds.

    Timing one model after the other lets the machine's load decide which
    looks faster; here every round times each model in turn. Per model:
    ``median_ms`` over all calls, and ``lo_ms``/``hi_ms``, the fastest and
    slowest round's median (the spread), plus the ``clock`` used.
    """
    clock = pick_clock(device, clock)
    names = list(fns)
    samples = time_samples([fns[n] for n in names], device, warmup, repeats,
                           rounds, clock)
    result = {}
    for name, per_round in zip(names, samples):
        medians = [statistics.median(r) for r in per_round]
        result[name] = dict(
            median_ms=statistics.median(sum(per_round, [])),
            lo_ms=min(medians), hi_ms=max(medians), rounds=rounds,
            clock=clock)
    return result


def format_latency(figures: Dict[str, float]) -> str:
    """``12.3 ms (rounds 11.9-13.0)``: a :func:`compare_latency` entry."""
    return (f'{figures["median_ms"]:.2f} ms (rounds {figures["lo_ms"]:.2f}'
            f'-{figures["hi_ms"]:.2f})')


def standalone_subnet(supernet: nn.Module, mutator,
                      subnet: Dict[str, str]) -> nn.Module:
    """A copy of ``supernet`` fixed to ``subnet``: the other candidates'
    weights dropped, as ``algorithm.mutable_cfg`` builds it for retraining.
    """
    model = copy.deepcopy(supernet)
    fixer = type(mutator)()
    fixer.prepare_from_supernet(model)
    fixer.fix_subnet(dict(subnet))
    return model.eval()


def model_fingerprint(supernet: nn.Module) -> str:
    """A hash of the parameter/buffer names and shapes."""
    h = hashlib.sha1()
    for name, t in supernet.state_dict().items():
        h.update(f'{name}:{tuple(t.shape)};'.encode())
    return h.hexdigest()[:16]


class LatencyTable:
    """Per-(block, choice) latency of a supernet's subnets, in ms.

    Build it with :meth:`measure` (or :meth:`load_or_measure`, which caches
    it in a json file); :meth:`predict` sums it for any subnet.

    Args:
        op_ms: ``{block name: {choice: ms}}``.
        fixed_ms: the subnet-independent part, ms.
        meta: what the timings are valid for (device, threads, batch size,
            input shape, torch version, model fingerprint) and how they
            were taken.
        check: whole-subnet timings of random subnets against the
            table's predictions, ``[{measured_ms, predicted_ms}, ...]``.
    """

    def __init__(self, op_ms: Dict[str, Dict[str, float]], fixed_ms: float,
                 meta: Dict, check: Optional[List[Dict]] = None):
        self.op_ms = op_ms
        self.fixed_ms = fixed_ms
        self.meta = meta
        self.check = check or []

    def predict(self, subnet: Dict[str, str]) -> float:
        return self.fixed_ms + sum(self.op_ms[n][c] for n, c in
                                   subnet.items())

    @property
    def check_errors(self) -> List[float]:
        """Relative errors ``predicted / measured - 1`` of the check."""
        return [c['predicted_ms'] / c['measured_ms'] - 1 for c in self.check]

    def summary(self) -> str:
        errs = [abs(e) for e in self.check_errors]
        kind = ('training-step table' if self.meta.get('mode') == 'train'
                else f'latency table [{self.meta.get("runtime", "pytorch")}]')
        text = (f'{kind} ({self.meta["device"]}, batch '
                f'{self.meta["batch_size"]}, {self.meta["threads"]} '
                f'threads, {self.meta["clock"]} clock): subnets {self.range_ms[0]:.3f}-'
                f'{self.range_ms[1]:.3f} ms')
        if errs:
            text += (f'; against whole-subnet timings of {len(errs)} random '
                     f'subnets: mean |error| {100 * statistics.mean(errs):.1f}'
                     f' %, max {100 * max(errs):.1f} %')
        return text

    @property
    def range_ms(self):
        lo = self.fixed_ms + sum(min(c.values()) for c in self.op_ms.values())
        hi = self.fixed_ms + sum(max(c.values()) for c in self.op_ms.values())
        return lo, hi

    # -- measuring --
    @staticmethod
    def expected_meta(supernet: nn.Module, search_space: Dict,
                      input_shape: Sequence[int], batch_size: int,
                      clock: str = 'auto',
                      runtime: str = 'onnxruntime',
                      mode: str = 'inference') -> Dict:
        check_runtime(runtime, mode)
        device = timing_device(supernet, runtime)
        meta = dict(version=LUT_VERSION, runtime=runtime, mode=mode,
                    device=device_name(device),
                    threads=torch.get_num_threads(),
                    clock=pick_clock(device, clock),
                    batch_size=int(batch_size),
                    input_shape=list(input_shape),
                    torch=torch.__version__,
                    model=model_fingerprint(supernet),
                    search_space={n: list(c)
                                  for n, c in search_space.items()})
        if runtime == 'onnxruntime':
            import onnxruntime
            meta['onnxruntime'] = onnxruntime.__version__
        return meta

    @classmethod
    def measure(cls, supernet: nn.Module, mutator,
                input_shape: Sequence[int], batch_size: int = 1,
                warmup: int = 5, repeats: int = 10, rounds: int = 5,
                calibrate_subnets: int = 3, check_subnets: int = 5,
                seed: int = 0, clock: str = 'auto',
                runtime: str = 'onnxruntime',
                mode: str = 'inference') -> 'LatencyTable':
        """Time every (block, choice), then ``calibrate_subnets`` and
        ``check_subnets`` random whole subnets (standalone copies), all in
        ``runtime``; see the module docstring."""
        space = mutator.search_space
        mutables = mutator.mutables
        not_ops = [n for n, m in mutables.items()
                   if not isinstance(m, nn.Module)]
        if not_ops:
            raise ValueError(
                'the latency table times op choices (OneShotMutableOP); '
                f'these searchable values are not ops: {not_ops[:3]}')
        device = next(supernet.parameters()).device
        meta = cls.expected_meta(supernet, space, input_shape, batch_size,
                                 clock, runtime, mode)
        train = mode == 'train'
        meta.update(warmup=warmup, repeats=repeats, rounds=rounds)
        x = torch.randn(batch_size, *input_shape, device=device)
        rng = random.Random(seed)
        subnets = [mutator.default_choices()] + [
            mutator.sample_choices(rng)
            for _ in range(calibrate_subnets + check_subnets - 1)]
        models = [standalone_subnet(supernet, mutator, s) for s in subnets]
        saved, was_training = mutator.current_choices, supernet.training
        supernet.eval()
        try:
            mutator.set_choices(mutator.default_choices())
            inputs = _block_inputs(supernet, mutables, x)
            names = [(n, c) for n in space for c in space[n]]
            with tempfile.TemporaryDirectory() as tmp:
                if runtime == 'onnxruntime':
                    calls = [onnxruntime_call(
                        mutables[n]._candidates[c], inputs[n],
                        osp.join(tmp, f'op{i}.onnx'))
                        for i, (n, c) in enumerate(names)]
                    calls += [onnxruntime_call(
                        _Logits(m), x, osp.join(tmp, f'subnet{i}.onnx'))
                        for i, m in enumerate(models)]
                    device = torch.device('cpu')
                elif train:
                    # copies: a training step would leave gradients and
                    # moved BN statistics in the supernet
                    calls = [_train_step(copy.deepcopy(
                        mutables[n]._candidates[c]).train(), inputs[n])
                        for n, c in names]
                    calls += [_train_step(_Logits(m.train()), x)
                              for m in models]
                else:
                    calls = [
                        lambda op=mutables[n]._candidates[c], n=n: op(
                            inputs[n]) for n, c in names]
                    calls += [lambda m=m: m(x, mode='tensor')
                              for m in models]
                # ops and whole subnets in the same rounds: a load change
                # during the measurement hits both alike
                times = time_rounds(calls, device, warmup, repeats, rounds,
                                    clock=meta['clock'], grad=train)
        finally:
            mutator.set_choices(saved)
            supernet.train(was_training)
        op_ms: Dict[str, Dict[str, float]] = {}
        for (n, c), t in zip(names, times):
            op_ms.setdefault(n, {})[c] = t
        whole = times[len(names):]
        table = cls(op_ms, 0.0, meta)
        calib = [w - table.predict(s) for s, w in
                 zip(subnets[:calibrate_subnets], whole)]
        table.fixed_ms = statistics.median(calib)
        table.check = [
            dict(measured_ms=w, predicted_ms=table.predict(s))
            for s, w in zip(subnets[calibrate_subnets:],
                            whole[calibrate_subnets:])]
        return table

    # -- the cache file --
    def to_dict(self) -> Dict:
        return dict(meta=self.meta, fixed_ms=self.fixed_ms, op_ms=self.op_ms,
                    check=self.check)

    def save(self, path: str) -> None:
        atomic_dump_json(self.to_dict(), path)

    @classmethod
    def from_dict(cls, data: Dict) -> 'LatencyTable':
        meta = dict(data['meta'])
        meta.setdefault('runtime', 'pytorch')  # saved before runtimes
        meta.setdefault('mode', 'inference')  # and before modes
        return cls(data['op_ms'], data['fixed_ms'], meta, data.get('check'))

    @classmethod
    def load_or_measure(cls, path: str, supernet: nn.Module, mutator,
                        input_shape: Sequence[int], batch_size: int = 1,
                        clock: str = 'auto', runtime: str = 'onnxruntime',
                        mode: str = 'inference', **measure_kwargs):
        """``(table, measured)``: the table cached in ``path`` when it was
        measured for this model, device, thread count, batch and input
        shape; otherwise measured now and saved there. A cached table made
        for something else is an error (``ValueError`` naming what
        differs), never silently used or replaced: its latencies and this
        run's would not be comparable."""
        expected = cls.expected_meta(supernet, mutator.search_space,
                                     input_shape, batch_size, clock, runtime,
                                     mode)
        if osp.isfile(path):
            with open(path) as f:
                try:
                    table = cls.from_dict(json.load(f))
                except (ValueError, KeyError) as e:
                    raise ValueError(f'latency table {path}: unreadable '
                                     f'({e}); delete it to measure anew')
            diff = [k for k in expected if table.meta.get(k) != expected[k]]
            if diff:
                k = diff[0]
                shown = {k: (table.meta.get(k), expected[k])
                         for k in diff if k != 'search_space'}
                raise ValueError(
                    f'latency table {path} was measured for another setting '
                    f'({", ".join(diff)} differ: '
                    + '; '.join(f'{k}: file {a!r}, this run {b!r}'
                                for k, (a, b) in shown.items())
                    + '); delete it or set latency.lut_file to another path')
            return table, False
        table = cls.measure(supernet, mutator, input_shape, batch_size,
                            clock=clock, runtime=runtime, mode=mode,
                            **measure_kwargs)
        table.save(path)
        return table, True


def check_runtime(runtime: str, mode: str = 'inference') -> None:
    if runtime not in RUNTIMES:
        raise ValueError(f'latency runtime must be one of {RUNTIMES}, got '
                         f'{runtime!r}')
    if mode not in MODES:
        raise ValueError(f'timing mode must be one of {MODES}, got {mode!r}')
    if mode == 'train' and runtime != 'pytorch':
        raise ValueError("a training step is timed in runtime='pytorch' "
                         f'(got {runtime!r})')


def _train_step(module: nn.Module, example: torch.Tensor
                ) -> Callable[[], object]:
    """One forward and backward of ``module`` on ``example`` (a copy that
    needs its gradient, as a block's input does inside a network)."""
    # a clone outside inference mode: the block inputs were recorded in it
    x = example.detach().clone().requires_grad_(True)

    def step():
        module.zero_grad(set_to_none=True)
        module(x).sum().backward()
    return step


def timing_device(model: nn.Module, runtime: str) -> torch.device:
    """Where ``runtime`` runs ``model``: onnxruntime's CPU provider, or the
    model's own device for PyTorch."""
    if runtime == 'onnxruntime':
        return torch.device('cpu')
    return next(model.parameters()).device


class _Logits(nn.Module):
    """``model(x, mode='tensor')`` as a plain module, for export."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x, mode='tensor')


def onnxruntime_call(module: nn.Module, example: torch.Tensor,
                     path: str) -> Callable[[], object]:
    """``module`` on ``example`` as an onnxruntime CPU session run, with as
    many intra-op threads as PyTorch uses. Exported by the TorchScript
    exporter, ~5x quicker than the deploy path's torch.export one on a
    table's dozens of ops; onnxruntime's graph optimizations make the same
    kernels of both (the whole-subnet check shows the table's error)."""
    from gml.deploy import ort_session
    module = copy.deepcopy(module).cpu().eval()
    # a clone outside inference mode: the block inputs were recorded in it
    example = example.detach().cpu().clone()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter('ignore')  # the exporter's deprecation notes
        torch.onnx.export(module, (example, ), path, dynamo=False,
                          opset_version=18, input_names=['input'])
    session = ort_session(path, torch.get_num_threads())
    feed = {'input': example.numpy()}
    return lambda: session.run(None, feed)


def _block_inputs(supernet: nn.Module, mutables: Dict[str, nn.Module],
                  x: torch.Tensor) -> Dict[str, torch.Tensor]:
    """Each mutable's input in one forward of ``x``."""
    inputs, handles = {}, []
    for name, module in mutables.items():
        def hook(_, args, name=name):
            inputs[name] = args[0].detach()
        handles.append(module.register_forward_pre_hook(hook))
    try:
        with torch.inference_mode():
            supernet(x, mode='tensor')
    finally:
        for h in handles:
            h.remove()
    return inputs


def cpu_latencies_ms(module: nn.Module, path: str, example: torch.Tensor,
                     warmup: int = 10, repeats: int = 20, rounds: int = 5
                     ) -> Dict:
    """Latency of ``example`` (one batch) through PyTorch (eager) and
    through onnxruntime, timed alike in interleaved rounds: the medians
    (``pytorch_ms``, ``onnxruntime_ms``) and each one's
    :func:`compare_latency` figures with the rounds' spread."""
    from gml.deploy import ort_session
    session = ort_session(path, torch.get_num_threads())
    x = example.cpu().numpy()
    module = module.eval().cpu()
    figures = compare_latency(
        dict(pytorch=lambda: module(example),
             onnxruntime=lambda: session.run(None, {'input': x})),
        torch.device('cpu'), warmup, repeats, rounds)
    return dict(pytorch_ms=figures['pytorch']['median_ms'],
                onnxruntime_ms=figures['onnxruntime']['median_ms'],
                clock=figures['pytorch']['clock'], rounds=rounds,
                batch=int(example.shape[0]), **figures)
