"""Extract the student from a distillation checkpoint, for deployment."""
import io
from typing import Dict

import torch

from gml.utils.fileio import atomic_write_bytes

from gml.utils.errors import CheckpointError

#: where TeacherStudentDistillation keeps the student (BaseAlgorithm's
#: ``architecture``).
STUDENT_PREFIX = 'architecture.'


def student_checkpoint(checkpoint: Dict) -> Dict:
    """``{'meta', 'state_dict'}`` holding only the student's weights.

    Keys lose their ``architecture.`` prefix, so the result loads into the
    student's own config (``tools/test.py STUDENT_CONFIG EXPORTED.pth``).
    """
    state = checkpoint.get('state_dict', checkpoint)
    student = {k[len(STUDENT_PREFIX):]: v for k, v in state.items()
               if k.startswith(STUDENT_PREFIX)}
    if not student:
        raise CheckpointError(
            f'the checkpoint holds no `{STUDENT_PREFIX}*` weights: was it '
            'written by a TeacherStudentDistillation run?')
    meta = dict(checkpoint.get('meta') or {})
    meta['exported_from'] = 'TeacherStudentDistillation'
    return {'meta': meta, 'state_dict': student}


def export_student(src: str, dst: str) -> int:
    """Write ``src``'s student to ``dst`` atomically; return its key count."""
    from gml.utils.checkpoint import load_checkpoint_file
    exported = student_checkpoint(load_checkpoint_file(src))
    buffer = io.BytesIO()
    torch.save(exported, buffer)
    atomic_write_bytes(dst, buffer.getvalue())
    return len(exported['state_dict'])
