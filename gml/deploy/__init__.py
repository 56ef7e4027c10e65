"""Deployment: int8/float ONNX export and onnxruntime evaluation."""
from .model_config import (build_float_model, build_quantizer, config_scope,
                           float_model_cfg, input_shape, is_qat_config)
from .deployable import DeployableClassifier, compare_with_onnxruntime
from .onnx_export import describe, export_onnx
from .onnxruntime_eval import evaluate_onnx, ort_session
from .quantized_export import export_float, export_qat, quantize_ptq

__all__ = ['export_onnx', 'describe', 'evaluate_onnx', 'ort_session',
           'export_qat', 'export_float', 'quantize_ptq', 'build_float_model',
           'build_quantizer', 'config_scope', 'float_model_cfg', 'input_shape',
           'is_qat_config', 'DeployableClassifier',
           'compare_with_onnxruntime']
