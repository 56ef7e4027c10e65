"""Knowledge distillation algorithms.

One concept, two names, on purpose: users meet "kd" (``configs/kd/``,
``tools/kd/``, ``docs/kd.md``, the compress stage ``distill``'s configs),
the original toolbox's paths that its users' commands and configs name;
the code says "distill" (``algorithms/distill``, ``distillers/``), the
names MMRazor's classes and modules use (``TeacherStudentDistillation``,
``TeacherDistiller``).
"""
from .teacher_student import TeacherStudentDistillation

__all__ = ['TeacherStudentDistillation']
