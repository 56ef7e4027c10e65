"""An mmpretrain image classifier whose FLOPs are a function of its widths.

Used as DMCP's supernet: the backbone and head describe their FLOPs as a
polynomial of the layer widths (see ``MobileNetV2Slice.flops_terms``), so the
FLOPs of any width configuration -- integer widths or differentiable
expected widths -- are computed without tracing the network.
"""
from typing import Dict, List, Tuple, Union

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.models.necks import GlobalAveragePooling

from gml.registry import MODELS

Width = Union[int, float, torch.Tensor]
FlopsTerms = List[Tuple[int, Tuple[str, ...]]]


def count_flops(terms: FlopsTerms, widths: Dict[str, Width]) -> Width:
    """Evaluate ``sum(coef * prod(widths[name]))`` over ``terms``."""
    total = 0
    for coef, names in terms:
        value = coef
        for name in names:
            value = value * widths[name]
        total = total + value
    return total


@MODELS.register_module()
class ImageClassifierSearch(ImageClassifier):
    """``ImageClassifier`` + analytic FLOPs over the backbone's widths.

    The backbone must provide ``flops_terms(hw)`` and ``out_channels``
    (e.g. ``gml.MobileNetV2Slice``), the neck must be
    ``GlobalAveragePooling`` (or absent) and the head must provide
    ``flops_terms(in_name)`` (e.g. ``gml.LinearClsHead_WithFLOPs``).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        head_in = getattr(self.head, 'in_channels', None)
        out = getattr(self.backbone, 'out_channels', None)
        if head_in is not None and out is not None and head_in != out:
            raise ValueError(
                f'ImageClassifierSearch: head.in_channels={head_in} but the '
                f'backbone outputs {out} channels')

    def logits(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.head(self.extract_feat(inputs))

    def flops_terms(self, input_size: Tuple[int, int, int]) -> FlopsTerms:
        """FLOPs terms of the whole classifier at ``input_size`` (C, H, W)."""
        terms, hw = self.backbone.flops_terms(tuple(input_size[1:]))
        last = 'conv2'
        if isinstance(self.neck, GlobalAveragePooling):
            terms.append((hw[0] * hw[1], (last, )))  # averaging: 1/element
        elif self.neck is not None:
            raise TypeError('ImageClassifierSearch: FLOPs are only modelled '
                            'with a GlobalAveragePooling neck, got '
                            f'{type(self.neck).__name__}')
        return terms + self.head.flops_terms(last)

    def flops(self, widths: Dict[str, Width],
              input_size: Tuple[int, int, int]) -> Width:
        """FLOPs of the classifier with ``widths`` at ``input_size``."""
        return count_flops(self.flops_terms(input_size), widths)
