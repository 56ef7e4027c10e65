from .teacher_student import TeacherStudentDistillation

__all__ = ['TeacherStudentDistillation']
