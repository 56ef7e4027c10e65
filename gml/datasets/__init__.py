from .cluttered_digits import ClutteredDigitsDataset
from .digits import DigitsDataset

__all__ = ['ClutteredDigitsDataset', 'DigitsDataset']
