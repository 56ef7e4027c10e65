from gml.utils.checkpoint import resolve_checkpoint
from .distill_head import DistillationHead, FTDistillationHead
from .meal import MEALDiscriminator
from .recorder import ModuleOutputRecorder, find_module
from .teacher_distiller import TeacherDistiller

__all__ = [
    'DistillationHead', 'FTDistillationHead', 'MEALDiscriminator',
    'ModuleOutputRecorder', 'TeacherDistiller', 'find_module',
    'resolve_checkpoint'
]
