"""Fashion-MNIST splits: sizes, a held-out val disjoint from train, the
test split by test_mode, and one-line errors for missing/short files.

The split logic runs on synthetic idx files (always); the real-data checks
run when data/fashion_mnist/ is prepared (tools/install.sh does it)."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from gml.datasets import FashionMNISTSplit
from gml.datasets.fashion_mnist import DatasetError
from gml.registry import DATASETS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REAL = osp.join(ROOT, 'data/fashion_mnist')
CFG = osp.join(ROOT, 'configs/_base_/datasets/fashion_mnist.py')


def write_idx(root, n_train=60000, n_test=10000):
    """idx files whose image ``i`` carries ``i`` in its first two pixels
    (test images: ``i`` + 60000 in pixels 2..4) and label ``i % 10``."""
    os.makedirs(root, exist_ok=True)
    for prefix, n, offset in (('train', n_train, 0), ('t10k', n_test, 1)):
        ids = np.arange(n)
        imgs = np.zeros((n, 28, 28), np.uint8)
        imgs[:, 0, 0], imgs[:, 0, 1] = ids // 256, ids % 256
        imgs[:, 0, 2] = offset
        with open(osp.join(root, f'{prefix}-images-idx3-ubyte'), 'wb') as f:
            f.write(np.array([2051, n, 28, 28], '>i4').tobytes())
            f.write(imgs.tobytes())
        with open(osp.join(root, f'{prefix}-labels-idx1-ubyte'), 'wb') as f:
            f.write(np.array([2049, n], '>i4').tobytes())
            f.write((ids % 10).astype(np.uint8).tobytes())


def ids(ds):
    img = np.stack([ds.get_data_info(i)['img'] for i in range(len(ds))])
    assert img.shape[1:] == (28, 28, 1)
    return set((img[:, 0, 0, 0].astype(int) * 256 + img[:, 0, 1, 0])
               .tolist()), set(img[:, 0, 2, 0].tolist())


@pytest.fixture(scope='module')
def fake_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('fmnist'))
    write_idx(root)
    return root


def test_val_is_held_out_of_train_fixed_by_seed(fake_root):
    train = FashionMNISTSplit(fake_root, 'train', val_size=5000)
    val = FashionMNISTSplit(fake_root, 'val', val_size=5000)
    test = FashionMNISTSplit(fake_root, 'test')
    (tr, tr_src), (va, va_src), (te, te_src) = ids(train), ids(val), ids(test)
    assert (len(train), len(val), len(test)) == (55000, 5000, 10000)
    assert tr.isdisjoint(va) and tr | va == set(range(60000))
    assert tr_src == va_src == {0} and te_src == {1}  # test = t10k files
    other = ids(FashionMNISTSplit(fake_root, 'val', val_size=5000, seed=1))
    assert other[0] != va  # the seed picks the split
    # mmengine's indices slice a split (tests, smoke runs)
    assert len(FashionMNISTSplit(fake_root, 'train', indices=64)) == 64


def test_bad_split_and_val_size(fake_root):
    with pytest.raises(ValueError, match="split='tran'"):
        FashionMNISTSplit(fake_root, 'tran')
    with pytest.raises(ValueError, match='val_size=60000'):
        FashionMNISTSplit(fake_root, 'val', val_size=60000)


def test_missing_or_truncated_files_are_one_line(tmp_path, fake_root):
    with pytest.raises(DatasetError) as e:
        FashionMNISTSplit(str(tmp_path / 'none'), 'train')
    msg = str(e.value)
    assert 'none/train-images-idx3-ubyte' in msg and '\n' not in msg
    assert 'prepare_fashion_mnist.py' in msg
    short = tmp_path / 'short'
    write_idx(str(short))
    path = short / 't10k-labels-idx1-ubyte'
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(DatasetError, match='t10k-labels-idx1-ubyte has '
                       '10007 bytes, expected 10008'):
        FashionMNISTSplit(str(short), 'test')


@pytest.mark.fashion_mnist
def test_config_on_the_real_data():
    cfg = Config.fromfile(CFG)
    ds = {k: DATASETS.build(cfg[f'{k}_dataloader'].dataset)
          for k in ('train', 'val', 'test')}
    assert {k: len(v) for k, v in ds.items()} == dict(
        train=55000, val=5000, test=10000)
    from mmpretrain.datasets import FashionMNIST
    full = FashionMNIST(REAL, download=False)  # all 60,000 training images
    raw = [full.get_data_info(i)['img'].tobytes() for i in range(60000)]
    dup = {b for b, n in zip(*np.unique(raw, return_counts=True)) if n > 1}
    train = {ds['train'].get_data_info(i)['img'].tobytes()
             for i in range(55000)}
    val = {ds['val'].get_data_info(i)['img'].tobytes() for i in range(5000)}
    # together the training images; shared only where the files repeat one
    assert train | val == set(raw)
    assert (train & val) <= dup
    labels = [ds['val'].get_data_info(i)['gt_label'] for i in range(5000)]
    assert np.bincount(labels, minlength=10).min() > 400  # all 10 classes
    sample = ds['test'][0]
    assert tuple(sample['inputs'].shape) == (1, 28, 28)

