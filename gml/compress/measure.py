"""Each stage's model measured as it deploys: one ONNX file per stage, all
timed in this one process, interleaved, on onnxruntime's CPU provider.

A float stage's checkpoint is exported as fp32 ONNX (``tools/quantization/
export.py --float`` does the same); an int8 stage's ONNX is used as it is.
Params and FLOPs (multiply-accumulates at batch 1) are read from the ONNX
graph itself, so float and int8 models are counted the same way; the size
is the ONNX file's. Latency: batch 1 and 64, one thread, median over all
timed calls with the fastest and slowest round's median as the spread
(:func:`gml.engine.estimators.latency.compare_latency`).
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

FP32_ONNX = 'model_fp32.onnx'
_SKIP_DTYPES = (7, )  # int64 initializers: shapes, not weights


def onnx_complexity(path: str) -> Dict[str, int]:
    """``params`` (weight elements, int8 or float, without quantization
    scales) and ``flops`` (Conv/Gemm/MatMul multiply-accumulates at batch
    1) of the ONNX model at ``path``."""
    import onnx
    from onnx import shape_inference
    model = onnx.load(path)
    graph = model.graph
    dim = graph.input[0].type.tensor_type.shape.dim[0]
    dim.Clear()
    dim.dim_value = 1
    model = shape_inference.infer_shapes(model)
    graph = model.graph
    shapes = {i.name: list(i.dims) for i in graph.initializer}
    for v in list(graph.value_info) + list(graph.output) + list(graph.input):
        dims = v.type.tensor_type.shape.dim
        shapes[v.name] = [d.dim_value for d in dims]
    qdq_params = set()
    for node in graph.node:
        if node.op_type in ('QuantizeLinear', 'DequantizeLinear'):
            qdq_params.update(node.input[1:])
        if node.op_type == 'DequantizeLinear':  # weight = its int8 input
            shapes.setdefault(node.output[0], shapes.get(node.input[0]))
    params = sum(int(np.prod(i.dims)) for i in graph.initializer
                 if i.name not in qdq_params
                 and i.data_type not in _SKIP_DTYPES)
    flops = 0
    for node in graph.node:
        out = shapes.get(node.output[0]) or []
        if node.op_type == 'Conv':
            w = shapes.get(node.input[1]) or []
            if out and w:
                flops += int(np.prod(out[1:])) * int(np.prod(w[1:]))
        elif node.op_type in ('Gemm', 'MatMul'):
            a = shapes.get(node.input[0]) or []
            if out and a:
                flops += int(np.prod(out)) * int(a[-1])
    return dict(params=params, flops=flops)


def export_fp32(stage, checkpoint: str, out: str,
                shape: Sequence[int], options: Dict[str, object]) -> str:
    """Write ``stage``'s float model with ``checkpoint`` as fp32 ONNX."""
    from gml.deploy import export_float
    from gml.config.loading import load_config
    cfg = load_config(stage.test_config, options)
    export_float(cfg, checkpoint, out, tuple(shape))
    return out


def onnx_latency(paths: Dict[str, str], batches: Sequence[int] = (1, 64),
                 rounds: int = 7, repeats: int = 5,
                 warmup: int = 3) -> Dict[str, Dict[str, dict]]:
    """``{name: {'b1': figures, 'b64': figures}}``: every model at every
    batch size timed in the same interleaved rounds, one thread."""
    import torch
    from gml.deploy import ort_session
    from gml.engine.estimators.latency import compare_latency
    torch.set_num_threads(1)
    fns = {}
    for name, path in paths.items():
        session = ort_session(path, threads=1)
        inp = session.get_inputs()[0]
        for b in batches:
            x = np.random.default_rng(0).standard_normal(
                [b] + list(inp.shape[1:])).astype(np.float32)
            fns[(name, b)] = (lambda s=session, n=inp.name, x=x:
                              s.run(None, {n: x}))
    keys = list(fns)
    figures = compare_latency({f'{n}@{b}': fns[(n, b)] for n, b in keys},
                              torch.device('cpu'), warmup, repeats, rounds)
    result: Dict[str, Dict[str, dict]] = {}
    for n, b in keys:
        result.setdefault(n, {})[f'b{b}'] = figures[f'{n}@{b}']
    return result


def measure_models(models: Dict[str, Optional[str]], rounds: int = 7,
                   repeats: int = 5, warmup: int = 3,
                   batches: Sequence[int] = (1, 64)) -> Dict[str, dict]:
    """Params, FLOPs, size and latency of each stage's ONNX model (None:
    the stage has no deployable model, e.g. a QAT checkpoint)."""
    present = {n: p for n, p in models.items() if p}
    latency = onnx_latency(present, batches, rounds, repeats, warmup)
    result = {}
    for name, path in models.items():
        if not path:
            result[name] = dict(params=None, flops=None, size_bytes=None,
                                latency=None, onnx=None)
            continue
        result[name] = dict(onnx_complexity(path),
                            size_bytes=osp.getsize(path),
                            latency=latency[name], onnx=path)
    return result


def latency_ms(figures: Optional[dict]) -> Dict[str, Optional[float]]:
    """The contract's ``latency_ms``: ``{'b1': ms, 'b64': ms}``."""
    figures = figures or {}
    return {k: (figures[k]['median_ms'] if k in figures else None)
            for k in ('b1', 'b64')}


def stage_models(stages: List, state, work_dir: str, shape: Sequence[int],
                 log=print) -> Dict[str, Optional[str]]:
    """Each stage's ONNX model: its own, or its float checkpoint exported
    (again only when the stage reran)."""
    models = {}
    for stage in stages:
        rec = state.get(stage.name) or {}
        outputs = state.outputs(stage.name)
        if 'onnx' in outputs:
            models[stage.name] = outputs['onnx']
        elif stage.type.float_model and 'checkpoint' in outputs:
            out = osp.join(work_dir, stage.name, FP32_ONNX)
            if not (osp.isfile(out) and rec.get('fp32_of')
                    == rec.get('fingerprint')):
                log(f'[onnx] {stage.name}: exporting its float model')
                options = dict(stage.test_options)
                options.update(stage.type.test_options(outputs))
                export_fp32(stage, outputs['checkpoint'], out, shape,
                            options)
                state.update(stage.name, fp32_of=rec.get('fingerprint'))
            models[stage.name] = out
        else:
            models[stage.name] = None
    return models
