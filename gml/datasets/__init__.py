from .cluttered_digits import ClutteredDigitsDataset
from .digits import DigitsDataset
from .fashion_mnist import FashionMNISTSplit

__all__ = ['ClutteredDigitsDataset', 'DigitsDataset', 'FashionMNISTSplit']
