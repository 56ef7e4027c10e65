"""Fashion-MNIST with a fixed, seeded validation split held out of training.

mmpretrain's ``FashionMNIST`` reads the four idx files (unzipped) from
``data_root`` and has only train (60,000) and test (10,000), chosen by
``test_mode``. Search scoring and model selection need a third split that
is neither: :class:`FashionMNISTSplit` draws ``val_size`` of the 60,000
training images with a seeded permutation; ``'train'`` is the rest, so the
two never overlap and the test images are left for final figures.
"""
import os
import os.path as osp

import numpy as np
from mmpretrain.datasets import FashionMNIST

from gml.registry import DATASETS
from gml.utils.errors import UserError

SPLITS = ('train', 'val', 'test')
PREPARE = 'python tools/dataset_converters/prepare_fashion_mnist.py'
# unzipped idx sizes: a 16- or 8-byte header plus one byte per pixel/label
FILE_BYTES = {
    'train-images-idx3-ubyte': 16 + 60000 * 28 * 28,
    'train-labels-idx1-ubyte': 8 + 60000,
    't10k-images-idx3-ubyte': 16 + 10000 * 28 * 28,
    't10k-labels-idx1-ubyte': 8 + 10000,
}


class DatasetError(UserError):
    """A dataset's files are missing or cut short."""


def check_fashion_mnist(root: str) -> None:
    """Raise :class:`DatasetError` (one line) unless ``root`` holds the four
    complete unzipped Fashion-MNIST files."""
    for name, size in FILE_BYTES.items():
        path = osp.join(root, name)
        if not osp.isfile(path):
            raise DatasetError(f'Fashion-MNIST: {path} does not exist; run '
                               f'`{PREPARE} --out {root}`')
        if os.stat(path).st_size != size:
            raise DatasetError(
                f'Fashion-MNIST: {path} has {os.stat(path).st_size} bytes, '
                f'expected {size} (truncated?); run '
                f'`{PREPARE} --out {root} --force`')


@DATASETS.register_module()
class FashionMNISTSplit(FashionMNIST):
    """Fashion-MNIST train / val / test, val held out of the training set.

    Images come as 28x28x1 uint8 arrays (a channel axis added, so mmcv's
    crop and flip transforms apply).

    Args:
        data_root (str): folder with the four unzipped idx files (see
            ``tools/dataset_converters/prepare_fashion_mnist.py``).
        split (str): ``'train'`` (60,000 - ``val_size`` images), ``'val'``
            (``val_size``) or ``'test'`` (the 10,000 test images).
        val_size (int): training images held out as ``'val'``.
        seed (int): seed of the permutation that picks them.
        **kwargs: passed to mmpretrain's ``BaseDataset`` (``pipeline``,
            ``indices`` to take a slice...).
    """

    def __init__(self,
                 data_root: str = 'data/fashion_mnist',
                 split: str = 'train',
                 val_size: int = 5000,
                 seed: int = 0,
                 **kwargs):
        if split not in SPLITS:
            raise ValueError(
                f'FashionMNISTSplit: split={split!r} is not one of {SPLITS}')
        if not 0 < val_size < 60000:
            raise ValueError(f'FashionMNISTSplit: val_size={val_size!r}, '
                             'expected 0 < val_size < 60000')
        prefix = kwargs.get('data_prefix', '')
        check_fashion_mnist(osp.join(data_root, prefix) if prefix
                            else data_root)
        self.subset, self.val_size, self.seed = split, val_size, seed
        kwargs.setdefault('download', False)
        # mmpretrain picks the files by test_mode, not by split
        kwargs['test_mode'] = split == 'test'
        super().__init__(data_root=data_root,
                         split='test' if split == 'test' else 'train',
                         **kwargs)

    def load_data_list(self):
        data = super().load_data_list()
        for info in data:
            info['img'] = info['img'][..., None]
        if self.subset == 'test':
            return data
        order = np.random.RandomState(self.seed).permutation(len(data))
        val = np.zeros(len(data), dtype=bool)
        val[order[:self.val_size]] = True
        keep = val if self.subset == 'val' else ~val
        return [info for info, k in zip(data, keep) if k]
