from .mutable_value import OneShotMutableValue
from .one_shot_mutable_op import OneShotMutableOP

__all__ = ['OneShotMutableOP', 'OneShotMutableValue']
