from .base_mutable import BaseMutable
from .mutable_channel import MutableChannel
from .mutable_value import OneShotMutableValue
from .one_shot_mutable_op import OneShotMutableOP

__all__ = ['BaseMutable', 'MutableChannel', 'OneShotMutableOP',
           'OneShotMutableValue']
