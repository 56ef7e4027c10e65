"""The compression chain: a pipeline of ordinary gml stages (train, search,
prune, distil, quantize, export) run in order with their outputs wired,
resumable by stage, each stage's model measured on onnxruntime, reported.
See docs/compress.md."""
from .pipeline import Stage, parse_stages
from .stages import STAGE_TYPES, StageType
from .state import PipelineState, stage_fingerprint

__all__ = ['Stage', 'parse_stages', 'STAGE_TYPES', 'StageType',
           'PipelineState', 'stage_fingerprint']
