"""TeacherStudentDistillation: train a student with a frozen teacher."""
import re
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log

from gml.models.distillers import TeacherDistiller
from gml.registry import MODELS
from gml.utils.checkpoint import load_checkpoint_file, resolve_checkpoint
from gml.utils.errors import CheckpointError, ConfigError

from ..base import BaseAlgorithm

# teacher weights come from teacher_ckpt, never from a distillation checkpoint
_TEACHER_KEY = re.compile(r'(^|\.)distiller\.teacher\.')


@MODELS.register_module()
class TeacherStudentDistillation(BaseAlgorithm):
    """A student (``model``, the ``architecture``) trained with a
    ``TeacherDistiller``.

    It runs in one of two stages, picked when it is built:

    * ``'pretrain'`` (connector pre-training): some connector has a
      ``pretrain_criterion`` and no ``pretrained`` checkpoint is given. Only
      those connectors learn, to reconstruct the frozen teacher's features;
      the student is frozen and not even run.
    * ``'distill'``: otherwise. The student's own losses plus the heads'
      distillation losses train the student and the student-side
      connectors; the teacher and the teacher-side connectors (loaded from
      ``pretrained``) are frozen.

    Checkpoints hold everything but the teacher (its weights are in
    ``teacher_ckpt``): the student under ``architecture.``, the distiller
    under ``distiller.``; ``tools/kd/export_student.py`` extracts the
    student.

    Args:
        model (dict): the student model config.
        distiller (dict): a ``TeacherDistiller`` config.
        pretrained (str, optional): checkpoint of the connector
            pre-training stage; its teacher-side connectors are loaded
            when training starts. ``<dir>/latest.pth`` resolves through
            mmengine's ``<dir>/last_checkpoint``.
        init_cfg (dict, optional): mmengine init config of the whole
            algorithm (e.g. ``dict(type='Pretrained', checkpoint=...)``,
            with the same ``latest.pth`` resolution).
        data_preprocessor (dict, optional): defaults to the student's;
            the teacher sees the same preprocessed inputs.
    """

    def __init__(self,
                 model: Union[dict, nn.Module],
                 distiller: dict,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None):
        super().__init__(model, data_preprocessor, init_cfg)
        self.distiller = MODELS.build(distiller) \
            if isinstance(distiller, dict) else distiller
        if not isinstance(self.distiller, TeacherDistiller):
            raise ConfigError('TeacherStudentDistillation: `distiller` must '
                              'be a TeacherDistiller, got '
                              f'{type(self.distiller).__name__}')
        self.distiller.prepare_from_student(self.architecture)
        self.pretrained = pretrained
        self.stage = 'pretrain' if (self.distiller.needs_pretrain
                                    and pretrained is None) else 'distill'
        self._frozen = self._freeze_for_stage()
        self._register_state_dict_hook(_drop_teacher_keys)
        self.register_load_state_dict_post_hook(_ignore_missing_teacher)
        print_log(f'TeacherStudentDistillation: {self.stage} stage '
                  + ('(connectors with pretrain_criterion, no `pretrained`)'
                     if self.stage == 'pretrain' else ''), logger='current')

    @property
    def student(self) -> nn.Module:
        """The model being distilled (``architecture``)."""
        return self.architecture

    # -- stages ---------------------------------------------------------
    def _freeze_for_stage(self) -> List[nn.Module]:
        """Freeze what this stage does not train; return those modules."""
        if self.stage == 'pretrain':
            frozen = [self.architecture] + [
                h.stu_connector for h in self.distiller.heads.values()
                if h.stu_connector is not None]
            frozen += [h.tea_connector for h in self.distiller.heads.values()
                       if h.tea_connector is not None
                       and not h.needs_pretrain]
            if self.distiller.meal is not None:
                frozen.append(self.distiller.meal)
        else:
            frozen = list(self.distiller.teacher_connectors().values())
        frozen.append(self.distiller.teacher)
        for module in frozen:
            TeacherDistiller.freeze(module)
        return frozen

    def train(self, mode: bool = True) -> 'TeacherStudentDistillation':
        super().train(mode)
        for module in self._frozen:  # BN statistics must not move either
            module.eval()
        return self

    def init_weights(self) -> None:
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            # resolved only now: building (e.g. for testing) needs no file
            self.init_cfg = dict(cfg, checkpoint=resolve_checkpoint(
                cfg.get('checkpoint'), 'init_cfg.checkpoint'))
        super().init_weights()  # the student, then init_cfg, the teacher
        if self.pretrained is not None:
            self._load_pretrained_connectors()

    def _load_pretrained_connectors(self) -> None:
        path = resolve_checkpoint(self.pretrained, 'pretrained')
        state = load_checkpoint_file(path, key='pretrained')
        state = state.get('state_dict', state)
        connectors = self.distiller.teacher_connectors()
        if not connectors:
            raise ConfigError('`pretrained` is set but no distill_cfg head '
                              'has a tea_connector to load from it')
        for key, connector in connectors.items():
            prefix = f'distiller.{key}.'
            weights = {k[len(prefix):]: v for k, v in state.items()
                       if k.startswith(prefix)}
            if not weights:
                raise CheckpointError(
                    f'pretrained checkpoint {path!r} has no weights for '
                    f'{prefix[:-1]}; was it written by the connector '
                    'pre-training stage of this config?')
            try:
                connector.load_state_dict(weights, strict=True)
            except RuntimeError as e:
                raise CheckpointError(
                    f'pretrained checkpoint {path!r}: {prefix[:-1]} does not '
                    f'fit ({" ".join(str(e).split())[:300]})') from None
        print_log(f'TeacherStudentDistillation: loaded {", ".join(connectors)}'
                  f' from {path}', logger='current')

    # -- forward (inference and export only need the student) -----------
    def loss(self, inputs: torch.Tensor,
             data_samples) -> Dict[str, torch.Tensor]:
        self.distiller.run_teacher(inputs, data_samples)
        if self.stage == 'pretrain':
            return self.distiller.pretrain_losses()
        with self.distiller.student_recorder.record():
            losses = dict(self.architecture(inputs, data_samples,
                                            mode='loss'))
        losses.update(self.distiller.distill_losses())
        return losses


def _drop_teacher_keys(module, state_dict, prefix, local_metadata):
    for key in [k for k in state_dict if _TEACHER_KEY.search(k[len(prefix):])]:
        del state_dict[key]


def _ignore_missing_teacher(module, incompatible_keys):
    missing = incompatible_keys.missing_keys
    missing[:] = [k for k in missing if not _TEACHER_KEY.search(k)]
