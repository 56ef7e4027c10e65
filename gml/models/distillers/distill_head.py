"""Distillation heads: connectors on both sides, then a loss between them."""
from typing import Dict, Optional

import torch
import torch.nn as nn

from gml.registry import MODELS
from gml.models.connectors import BaseConnector


def _build_connector(cfg: Optional[dict], head: str,
                     side: str) -> Optional[BaseConnector]:
    if cfg is None:
        return None
    connector = MODELS.build(cfg)
    if not isinstance(connector, BaseConnector):
        raise TypeError(f'distillation head {head!r}: {side} '
                        f'{cfg.get("type")!r} is not a gml connector')
    return connector


@MODELS.register_module()
class DistillationHead(nn.Module):
    """Compare a student feature with a teacher feature.

    Args:
        loss (dict): the distillation loss (``FTLoss``, ``KDLoss``,
            ``MSELoss``...), called as ``loss(student, teacher)``.
        name (str): names the head in logs (``<name>.loss``) and in the
            checkpoint; unique within a distiller, without dots.
        stu_connector (dict, optional): maps the student feature; trained
            with the student.
        tea_connector (dict, optional): maps the teacher feature; frozen
            during distillation, pre-trained first if it has a
            ``pretrain_criterion``.
    """

    def __init__(self, loss: dict, name: str,
                 stu_connector: Optional[dict] = None,
                 tea_connector: Optional[dict] = None):
        super().__init__()
        if not isinstance(name, str) or not name or '.' in name:
            raise ValueError('distillation head name must be a non-empty '
                             f'string without dots, got {name!r}')
        self.name = name
        self.loss = MODELS.build(loss)
        self.stu_connector = _build_connector(stu_connector, name,
                                              'stu_connector')
        self.tea_connector = _build_connector(tea_connector, name,
                                              'tea_connector')

    @property
    def needs_pretrain(self) -> bool:
        return self.tea_connector is not None and \
            self.tea_connector.needs_pretrain

    def project(self, student: torch.Tensor, teacher: torch.Tensor):
        """The pair the loss compares (also what MEAL discriminates)."""
        if self.stu_connector is not None:
            student = self.stu_connector(student)
        if self.tea_connector is not None:
            teacher = self.tea_connector(teacher)
        return student, teacher.detach()

    def forward(self, student: torch.Tensor,
                teacher: torch.Tensor) -> torch.Tensor:
        return self.loss(*self.project(student, teacher))

    def pretrain_loss(self, teacher: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Connector pre-training objective on a teacher feature."""
        return {f'{self.name}.loss_pretrain':
                self.tea_connector.pretrain_loss(teacher.detach())}


@MODELS.register_module()
class FTDistillationHead(DistillationHead):
    """Factor transfer: Translator(student) vs Paraphraser(teacher).

    Same as :class:`DistillationHead`, but both connectors are required and
    their factor channels must agree, so a mismatched config fails when it
    is built rather than at the first iteration.

    Args:
        loss: the distillation loss, usually ``FTLoss``.
        name: names the head in logs and the checkpoint.
        stu_connector: the ``Translator`` on the student feature (required).
        tea_connector: the ``Paraphraser`` on the teacher feature (required;
            its ``out_channel`` must equal the Translator's).
    """

    def __init__(self, loss: dict, name: str, stu_connector: dict = None,
                 tea_connector: dict = None):
        for key, value in (('stu_connector', stu_connector),
                           ('tea_connector', tea_connector)):
            if value is None:
                raise ValueError(f'FTDistillationHead {name!r} needs '
                                 f'`{key}` (a Translator / Paraphraser)')
        super().__init__(loss, name, stu_connector, tea_connector)
        s_out = getattr(self.stu_connector, 'out_channel', None)
        t_out = getattr(self.tea_connector, 'out_channel', None)
        if s_out != t_out:
            raise ValueError(
                f'FTDistillationHead {name!r}: stu_connector out_channel '
                f'({s_out}) must equal tea_connector out_channel ({t_out})')
