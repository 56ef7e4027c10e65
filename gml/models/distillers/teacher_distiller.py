"""TeacherDistiller: one frozen teacher, a list of distillation heads."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import load_checkpoint

from gml.registry import MODELS
from gml.utils.checkpoint import resolve_checkpoint
from .distill_head import DistillationHead
from .meal import MEALDiscriminator
from .recorder import ModuleOutputRecorder

_ENTRY_KEYS = {'student_module', 'teacher_module', 'head'}


def _check_entries(distill_cfg) -> List[dict]:
    if isinstance(distill_cfg, dict):
        distill_cfg = [distill_cfg]
    if not isinstance(distill_cfg, (list, tuple)) or not distill_cfg:
        raise ValueError(
            'TeacherDistiller: distill_cfg must be a non-empty list of '
            'dict(student_module=..., teacher_module=..., head=...), '
            f'got {distill_cfg!r}')
    for i, entry in enumerate(distill_cfg):
        if not isinstance(entry, dict):
            raise ValueError(f'TeacherDistiller: distill_cfg[{i}] must be a '
                             f'dict, got {type(entry).__name__}')
        missing = _ENTRY_KEYS - set(entry)
        extra = set(entry) - _ENTRY_KEYS
        if missing or extra:
            raise ValueError(
                f'TeacherDistiller: distill_cfg[{i}] needs exactly the keys '
                f'{sorted(_ENTRY_KEYS)}; missing {sorted(missing)}, '
                f'unknown {sorted(extra)}')
    return list(distill_cfg)


def _build_teacher(teacher: Union[dict, str, nn.Module]) -> nn.Module:
    if isinstance(teacher, nn.Module):
        return teacher
    if isinstance(teacher, str):  # a config file: use its model
        from gml.config.loading import load_config
        teacher = load_config(teacher).model
    if not isinstance(teacher, dict):
        raise ValueError('TeacherDistiller: `teacher` must be a model config '
                         f'dict or a config file path, got {teacher!r}')
    return MODELS.build(teacher)


@MODELS.register_module()
class TeacherDistiller(BaseModule):
    """Distill a student from one frozen teacher.

    Args:
        teacher (dict | str): the teacher model config (or a config file
            whose ``model`` it is).
        distill_cfg (list[dict]): entries ``dict(student_module=...,
            teacher_module=..., head=dict(type=..., loss=..., name=...,
            stu_connector=..., tea_connector=...))``; the modules are dotted
            paths whose outputs the head compares.
        teacher_ckpt (str, optional): the teacher's weights, loaded when
            training starts (``init_weights``); ``<dir>/latest.pth`` is
            resolved through mmengine's ``last_checkpoint``.
        use_meal (bool): add MEAL's adversarial loss: for every head a
            discriminator tells the teacher's representation from the
            student's (see ``meal.py``).
        meal_cfg (dict, optional): ``loss_weight`` (1.0), ``hidden`` (64)
            and ``in_channels`` (head name -> channels, for heads without a
            connector to read them from).
    """

    def __init__(self,
                 teacher: Union[dict, str, nn.Module] = None,
                 distill_cfg: Sequence[dict] = None,
                 teacher_ckpt: Optional[str] = None,
                 use_meal: bool = False,
                 meal_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        if teacher is None:
            raise ValueError('TeacherDistiller needs `teacher`, the teacher '
                             'model config (e.g. teacher=dict(type=...))')
        entries = _check_entries(distill_cfg)
        self.teacher = _build_teacher(teacher)
        self.teacher_ckpt = teacher_ckpt
        self.heads = nn.ModuleDict()
        self.module_pairs: Dict[str, tuple] = {}
        for entry in entries:
            head = MODELS.build(entry['head'])
            if not isinstance(head, DistillationHead):
                raise TypeError(f'distill_cfg head {entry["head"]!r} is not '
                                'a distillation head')
            if head.name in self.heads:
                raise ValueError(f'two distill_cfg heads are named '
                                 f'{head.name!r}; names must be unique')
            self.heads[head.name] = head
            self.module_pairs[head.name] = (entry['student_module'],
                                            entry['teacher_module'])
        self.teacher_recorder = ModuleOutputRecorder(
            self.teacher, [t for _, t in self.module_pairs.values()],
            owner='teacher')
        self.student_recorder: Optional[ModuleOutputRecorder] = None
        self.meal = self._build_meal(meal_cfg or {}) if use_meal else None
        self.meal_weight = (meal_cfg or {}).get('loss_weight', 1.0)
        self.freeze(self.teacher)
        # the teacher is never re-initialised after its checkpoint loads
        self.teacher._is_init = True

    def _build_meal(self, meal_cfg: dict) -> nn.ModuleDict:
        unknown = set(meal_cfg) - {'loss_weight', 'hidden', 'in_channels'}
        if unknown:
            raise ValueError(f'TeacherDistiller: unknown meal_cfg keys '
                             f'{sorted(unknown)}; expected loss_weight, '
                             'hidden, in_channels')
        given = meal_cfg.get('in_channels', {})
        discriminators = nn.ModuleDict()
        for name, head in self.heads.items():
            channels = given.get(name) or next(
                (getattr(c, 'out_channel', None)
                 for c in (head.tea_connector, head.stu_connector)
                 if c is not None), None)
            if channels is None:
                raise ValueError(
                    f'use_meal: head {name!r} has no connector to read its '
                    'channel count from; set meal_cfg=dict(in_channels='
                    f'dict({name}=<channels of the compared outputs>))')
            discriminators[name] = MEALDiscriminator(
                channels, meal_cfg.get('hidden', 64))
        return discriminators

    @staticmethod
    def freeze(module: nn.Module) -> None:
        module.eval()
        for p in module.parameters():
            p.requires_grad_(False)

    # -- set-up ---------------------------------------------------------
    def prepare_from_student(self, student: nn.Module) -> None:
        """Check and hook the student's distilled modules."""
        self.student_recorder = ModuleOutputRecorder(
            student, [s for s, _ in self.module_pairs.values()],
            owner='student')

    @property
    def needs_pretrain(self) -> bool:
        return any(h.needs_pretrain for h in self.heads.values())

    def teacher_connectors(self) -> Dict[str, nn.Module]:
        return {f'heads.{n}.tea_connector': h.tea_connector
                for n, h in self.heads.items() if h.tea_connector is not None}

    def init_weights(self) -> None:
        super().init_weights()
        if self.teacher_ckpt is None:
            print_log('TeacherDistiller: no teacher_ckpt, so the teacher '
                      'keeps random weights', logger='current', level=30)
            return
        path = resolve_checkpoint(self.teacher_ckpt, 'teacher_ckpt')
        try:
            load_checkpoint(self.teacher, path, map_location='cpu',
                            strict=True, logger='current')
        except RuntimeError as e:
            raise RuntimeError(f'teacher_ckpt {path!r} does not fit the '
                               f'teacher config: {e}') from None
        print_log(f'TeacherDistiller: teacher loaded from {path}',
                  logger='current')

    # -- losses ---------------------------------------------------------
    def run_teacher(self, inputs: torch.Tensor, data_samples) -> None:
        """Forward the frozen teacher, recording the distilled modules."""
        with torch.no_grad(), self.teacher_recorder.record():
            self.teacher(inputs, data_samples, mode='tensor')

    def distill_losses(self) -> Dict[str, torch.Tensor]:
        """Head losses (and MEAL's) from the last recorded forwards."""
        losses = {}
        for name, head in self.heads.items():
            s_path, t_path = self.module_pairs[name]
            student = self.student_recorder.get(s_path)
            teacher = self.teacher_recorder.get(t_path)
            s_out, t_out = head.project(student, teacher)
            losses[f'{name}.loss'] = head.loss(s_out, t_out)
            if self.meal is not None:
                losses[f'{name}.loss_meal'] = \
                    self.meal_weight * self.meal[name](s_out, t_out)
        return losses

    def pretrain_losses(self) -> Dict[str, torch.Tensor]:
        """Reconstruction losses of the connectors that pre-train."""
        losses = {}
        for name, head in self.heads.items():
            if head.needs_pretrain:
                feature = self.teacher_recorder.get(self.module_pairs[name][1])
                losses.update(head.pretrain_loss(feature))
        return losses
