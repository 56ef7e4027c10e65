"""Write a classifier (float, or int8 from PT2E) as an ONNX model.

An int8 model converted by PT2E is float ops between quantize/dequantize
ops; ``torch.onnx.export`` (its torch.export-based exporter) writes those
as ``QuantizeLinear``/``DequantizeLinear`` with int8 weights stored as int8
initializers: the QDQ format onnxruntime fuses into integer kernels
(QLinearConv, ...). The model's input is the *normalized* image batch
(``data_preprocessor`` output); its normalization is recorded in the
model's metadata (``gml.*`` keys).
"""
import json
from collections import Counter
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn

from gml.utils.errors import ConfigError
from gml.utils.fileio import atomic_write_bytes

#: the exporter's own opset (torch 2.14 writes 18; asking for an older one
#: runs onnx's version converter, which fails on these graphs)
OPSET = 18
INPUT, OUTPUT = 'input', 'logits'
QDQ_OPS = ('QuantizeLinear', 'DequantizeLinear')


def export_onnx(model: nn.Module, input_shape: Sequence[int], path: str,
                metadata: Optional[Dict[str, object]] = None) -> Dict:
    """Export ``model(x) -> logits`` (dynamic batch) to ``path`` atomically.

    Returns :func:`describe` of the written model.
    """
    import onnx
    example = (torch.randn(2, *input_shape), )
    batch = torch.export.Dim('batch', min=1, max=65536)
    try:
        program = torch.onnx.export(
            model, example, dynamo=True, opset_version=OPSET,
            input_names=[INPUT], output_names=[OUTPUT],
            dynamic_shapes=({0: batch}, ), optimize=True, verbose=False)
    except Exception as e:
        reason = next((line.strip() for line in str(e).splitlines()
                       if line.strip()), type(e).__name__)
        raise ConfigError(f'ONNX export of {type(model).__name__} failed: '
                          f'{reason}') from e
    proto = program.model_proto
    for node in proto.graph.node:  # the exporter's per-node debug records
        del node.metadata_props[:]
    for key, value in (metadata or {}).items():
        entry = proto.metadata_props.add()
        entry.key = f'gml.{key}'
        entry.value = value if isinstance(value, str) else json.dumps(value)
    onnx.checker.check_model(proto)
    atomic_write_bytes(path, proto.SerializeToString())
    return describe(proto)


def describe(model) -> Dict:
    """Op counts, int8 weights and metadata of an ONNX model (path or
    ModelProto). ``int8_weights``: initializers stored as 8-bit integers
    and dequantized as data (not scales or zero points)."""
    import onnx
    if isinstance(model, str):
        model = onnx.load(model)
    ops = Counter(node.op_type for node in model.graph.node)
    eight_bit = {t.name for t in model.graph.initializer
                 if t.data_type in (onnx.TensorProto.INT8,
                                    onnx.TensorProto.UINT8)}
    weights = {node.input[0] for node in model.graph.node
               if node.op_type == 'DequantizeLinear'
               and node.input[0] in eight_bit}
    meta = {p.key[4:]: p.value for p in model.metadata_props
            if p.key.startswith('gml.')}
    return dict(ops=dict(ops), int8_weights=len(weights),
                int8=any(ops[op] for op in QDQ_OPS) or any(
                    op.startswith('QLinear') for op in ops),
                metadata=meta)
