import numpy as np
import pytest

from gml.datasets import ClutteredDigitsDataset, DigitsDataset
from gml.registry import DATASETS


def images(ds):
    return np.stack([ds.get_data_info(i)['img'] for i in range(len(ds))])


def test_deterministic_sized_and_split_specific():
    a = ClutteredDigitsDataset('val', canvas_size=16, num_clutter=2,
                               clutter_size=3)
    b = DATASETS.build(dict(type='gml.ClutteredDigitsDataset', split='val',
                            canvas_size=16, num_clutter=2, clutter_size=3))
    assert len(a) == 360 and images(a).shape == (360, 16, 16, 3)
    assert np.array_equal(images(a), images(b))  # same args, same images
    other_seed = ClutteredDigitsDataset('val', canvas_size=16, num_clutter=2,
                                        clutter_size=3, seed=1)
    assert not np.array_equal(images(a), images(other_seed))
    two = ClutteredDigitsDataset('val', canvas_size=16, num_clutter=2,
                                 clutter_size=3, copies=2)
    assert len(two) == 720
    labels = [two.get_data_info(i)['gt_label'] for i in range(720)]
    assert labels[:360] == labels[360:] == [
        a.get_data_info(i)['gt_label'] for i in range(360)]


def test_each_image_holds_its_digit_among_clutter():
    plain = images(DigitsDataset('test', channels=1))[..., 0].astype(int)
    ds = ClutteredDigitsDataset('test', canvas_size=16, num_clutter=2,
                                clutter_size=3, channels=1)
    canvas = images(ds)[..., 0].astype(int)
    for img, digit in zip(canvas[:50], plain[:50]):
        # the digit is somewhere, pixel-wise under the max-combined canvas
        hits = [(y, x) for y in range(9) for x in range(9)
                if (img[y:y + 8, x:x + 8] >= digit).all()]
        assert hits
        # and there is ink outside it (clutter), unless all hidden under it
        assert img.sum() >= digit.sum()
    extra = (canvas[:50].sum((1, 2)) > plain[:50].sum((1, 2))).mean()
    assert extra > 0.8  # most images carry visible clutter


@pytest.mark.parametrize('kwargs, key', [
    (dict(canvas_size=6), 'canvas_size'),
    (dict(clutter_size=9), 'clutter_size'),
    (dict(copies=0), 'copies'),
    (dict(num_clutter=-1), 'num_clutter'),
])
def test_bad_arguments_name_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key):
        ClutteredDigitsDataset('val', **kwargs)
