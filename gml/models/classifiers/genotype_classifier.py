"""An image classifier whose backbone is a genotype (network morphism)."""
from typing import Dict, Optional

from mmpretrain.models.classifiers import ImageClassifier

from gml.registry import MODELS


@MODELS.register_module()
class GenotypeClassifier(ImageClassifier):
    """mmpretrain's ``ImageClassifier`` over ``gml.GenotypeNet``.

    The head's ``in_channels`` follow the genotype (its last levels'
    filters), so one config trains any genotype: pass
    ``--cfg-options model.backbone.genotype=GENOTYPE.yaml``. The backbone
    pools, so there is no neck.

    Args:
        backbone: a ``gml.GenotypeNet`` config.
        head: a classification head config without ``in_channels``
            (e.g. ``LinearClsHead``).
        (other arguments: see ``ImageClassifier``)
    """

    def __init__(self, backbone: Dict, head: Dict,
                 data_preprocessor: Optional[Dict] = None,
                 train_cfg: Optional[Dict] = None, init_cfg=None):
        backbone = MODELS.build(backbone)
        head = dict(head, in_channels=backbone.out_channels)
        super().__init__(backbone=backbone, neck=None, head=head,
                         train_cfg=train_cfg,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
