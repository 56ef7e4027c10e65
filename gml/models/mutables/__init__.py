from .mutable_channel import MutableChannel  # noqa: F401
from .mutable_value import OneShotMutableValue
from .one_shot_mutable_op import OneShotMutableOP

__all__ = ['MutableChannel', 'OneShotMutableOP', 'OneShotMutableValue']
