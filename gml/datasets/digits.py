"""The UCI optical-recognition handwritten digits, embedded in gml.

1,797 grayscale 8x8 images of the digits 0-9 (ink counts 0..16, rescaled to
0..255), split once, stratified, into train/val/test = 1078/360/359 (see
``tools/dataset_converters/make_digits.py``). Small enough to train real
models on a CPU in seconds, so demos and tests need no download.
"""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmpretrain.datasets import BaseDataset

from gml.registry import DATASETS

DIGITS_FILE = osp.join(osp.dirname(__file__), 'data', 'digits.npz')
SPLITS = ('train', 'val', 'test')


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """UCI handwritten digits.

    Args:
        split (str): one of ``'train'``, ``'val'``, ``'test'``.
        channels (int): 1 for grayscale, 3 to repeat the gray channel so
            standard RGB backbones take the images unchanged.
        data_file (str, optional): another ``.npz`` with the same keys.
        **kwargs: passed to mmpretrain's ``BaseDataset`` (``pipeline``,
            ``indices``, ``test_mode``...).
    """

    METAINFO = {'classes': tuple(str(i) for i in range(10))}

    def __init__(self,
                 split: str = 'train',
                 channels: int = 3,
                 data_file: Optional[str] = None,
                 **kwargs):
        if split not in SPLITS:
            raise ValueError(
                f'DigitsDataset: split={split!r} is not one of {SPLITS}')
        if channels not in (1, 3):
            raise ValueError(
                f'DigitsDataset: channels={channels!r}, expected 1 or 3')
        self.split = split
        self.channels = channels
        self.data_file = data_file or DIGITS_FILE
        kwargs.setdefault('test_mode', split != 'train')
        super().__init__(ann_file='', **kwargs)

    def read_split(self):
        """The split's images as ink counts (float32, 0..16, N x 8 x 8)
        and labels (int64, N)."""
        if not osp.isfile(self.data_file):
            raise FileNotFoundError(
                f'{type(self).__name__}: data file {self.data_file} does '
                'not exist')
        with np.load(self.data_file) as data:
            missing = {'images', 'labels', self.split} - set(data.files)
            if missing:
                raise KeyError(f'{type(self).__name__}: {self.data_file} '
                               f'lacks the keys {sorted(missing)}')
            index = data[self.split]
            images = data['images'][index].astype(np.float32)
            labels = data['labels'][index]
        return images, labels

    def load_data_list(self) -> List[dict]:
        images, labels = self.read_split()
        return self.to_data_list(images, labels)

    def to_data_list(self, images: np.ndarray,
                     labels: np.ndarray) -> List[dict]:
        """Ink counts (0..16, N x H x W) to mmpretrain samples (uint8)."""
        images = (images * (255.0 / 16.0)).round()
        images = images.astype(np.uint8)[..., None]
        if self.channels == 3:
            images = np.repeat(images, 3, axis=-1)
        return [
            dict(img=img, gt_label=int(label), img_shape=img.shape[:2],
                 ori_shape=img.shape[:2])
            for img, label in zip(images, labels)
        ]
