"""Several trained classifiers as one model: their averaged prediction.

The neuroevolution systems gml absorbs end with a population of trained
networks; averaging the best few usually beats the best one alone. As one
registered model the ensemble is tested by ``tools/test.py`` and exported
to one ONNX graph by the deploy tools like any classifier.
"""
from typing import Dict, Optional, Sequence

import torch
from mmengine.model import BaseModel

from gml.registry import MODELS
from gml.utils.errors import ConfigError

COMBINE = ('mean_logits', 'mean_probs')


@MODELS.register_module()
class EnsembleClassifier(BaseModel):
    """The mean of its members' outputs; evaluation and export only.

    Every member sees the same preprocessed batch, so they must share one
    data preprocessor (the ensemble's); their own are dropped.

    Args:
        members: model configs, each a classifier whose
            ``forward(x, mode='tensor')`` returns logits (e.g. mmpretrain's
            ``ImageClassifier``, ``gml.GenotypeClassifier``, a SPOS subnet).
        combine: ``'mean_logits'`` (default) or ``'mean_probs'`` (the mean
            of the softmaxes; ``mode='tensor'`` then returns its log, so an
            argmax over the output is the ensemble's prediction either way).
        data_preprocessor: the members' shared preprocessor config.
        init_cfg: see ``BaseModel``.
    """

    def __init__(self, members: Sequence[Dict], combine: str = 'mean_logits',
                 data_preprocessor: Optional[Dict] = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if combine not in COMBINE:
            raise ConfigError(f'model.combine: got {combine!r}; expected one '
                              f'of {list(COMBINE)}')
        if len(members) < 2:
            raise ConfigError(f'model.members: got {len(members)} model(s); '
                              'an ensemble needs 2 or more')
        built = []
        for cfg in members:
            cfg = dict(cfg)
            cfg.pop('data_preprocessor', None)  # the ensemble's is used
            built.append(MODELS.build(cfg))
        self.members = torch.nn.ModuleList(built)
        self.combine = combine

    def forward(self, inputs: torch.Tensor, data_samples=None,
                mode: str = 'tensor'):
        if mode == 'loss':
            raise ConfigError('an EnsembleClassifier is for testing and '
                              'export; train its members one by one')
        outputs = [m(inputs, mode='tensor') for m in self.members]
        if self.combine == 'mean_logits':
            scores = torch.stack(outputs).mean(0)
        else:
            probs = torch.stack([o.softmax(-1) for o in outputs]).mean(0)
            scores = probs.clamp_min(1e-12).log()
        if mode == 'tensor':
            return scores
        if mode == 'predict':
            return self.head._get_predictions(scores, data_samples)
        raise ConfigError(f'EnsembleClassifier: unknown mode {mode!r}')

    @property
    def head(self):
        """The first member's classification head: scores to predictions
        (softmax, argmax) as the members make them, and what onnxruntime
        evaluation and QAT look for."""
        from gml.models.algorithms.quantization.qat import classifier_head
        return classifier_head(self.members[0])
