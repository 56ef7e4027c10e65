"""Cluttered digits: the embedded 8x8 digits placed on a larger canvas among
fragments of other digits, in the spirit of cluttered MNIST (Mnih et al.,
"Recurrent Models of Visual Attention", 2014).

On the plain 8x8 digits every small network scores 97-99 %, and stage maps
of 2x2 pixels make 3x3, 5x5 and 7x7 kernels alike, so architectures cannot
be told apart. Here the digit sits at a random position and random crops of
other digits surround it: a network must see the whole digit (receptive
field, kernel size, depth matter) and ignore strokes that look like parts of
digits. Everything is generated at load time from ``digits.npz`` with a
seeded RNG: the same arguments always give the same images, no download.
"""
from typing import List, Optional

import numpy as np

from gml.registry import DATASETS

from .digits import SPLITS, DigitsDataset


@DATASETS.register_module()
class ClutteredDigitsDataset(DigitsDataset):
    """Embedded digits on a cluttered ``canvas_size`` canvas.

    Each sample is one digit of ``split`` at a uniformly random position,
    over ``num_clutter`` random ``clutter_size`` x ``clutter_size`` crops of
    other digits of the same split (so no test digit leaks into training),
    combined by pixel-wise maximum. The label is the whole digit's.

    Args:
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        canvas_size (int): side of the square canvas (>= 8).
        num_clutter (int): fragments per image.
        clutter_size (int): side of a fragment (1..8).
        copies (int): placements of each source digit (the split grows
            ``copies`` times; more placements, more training data).
        seed (int): seed of the generator; the split's name is mixed in, so
            splits differ and each is reproducible.
        channels (int): 1 for grayscale, 3 to repeat the channel.
        data_file (str, optional): another ``.npz`` with the digits' keys.
        **kwargs: passed to mmpretrain's ``BaseDataset``.
    """

    def __init__(self,
                 split: str = 'train',
                 canvas_size: int = 24,
                 num_clutter: int = 4,
                 clutter_size: int = 4,
                 copies: int = 1,
                 seed: int = 0,
                 channels: int = 3,
                 data_file: Optional[str] = None,
                 **kwargs):
        checks = (('canvas_size', canvas_size, canvas_size >= 8, '>= 8'),
                  ('num_clutter', num_clutter, num_clutter >= 0, '>= 0'),
                  ('clutter_size', clutter_size, 1 <= clutter_size <= 8,
                   'in 1..8'),
                  ('copies', copies, copies >= 1, '>= 1'))
        for name, value, ok, expected in checks:
            if not isinstance(value, int) or not ok:
                raise ValueError(f'ClutteredDigitsDataset: {name}={value!r}, '
                                 f'expected an int {expected}')
        self.canvas_size = canvas_size
        self.num_clutter = num_clutter
        self.clutter_size = clutter_size
        self.copies = copies
        self.seed = seed
        super().__init__(split=split, channels=channels, data_file=data_file,
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        digits, labels = self.read_split()
        rng = np.random.default_rng([self.seed, SPLITS.index(self.split)])
        n, size = len(digits), self.canvas_size
        canvases = np.zeros((self.copies * n, size, size), np.float32)
        c = self.clutter_size
        for i in range(len(canvases)):
            canvas = canvases[i]
            for _ in range(self.num_clutter):
                src = digits[rng.integers(n)]
                y, x = rng.integers(0, 8 - c + 1, size=2)
                top, left = rng.integers(0, size - c + 1, size=2)
                np.maximum(canvas[top:top + c, left:left + c],
                           src[y:y + c, x:x + c],
                           out=canvas[top:top + c, left:left + c])
            top, left = rng.integers(0, size - 8 + 1, size=2)
            np.maximum(canvas[top:top + 8, left:left + 8], digits[i % n],
                       out=canvas[top:top + 8, left:left + 8])
        return self.to_data_list(canvases, np.tile(labels, self.copies))
