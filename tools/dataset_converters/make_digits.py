"""Regenerate ``gml/datasets/data/digits.npz`` from the UCI optical digits.

The source is the 1,797-image test part of the UCI "Optical Recognition of
Handwritten Digits" set (CC BY 4.0), as shipped by scikit-learn in
``sklearn/datasets/data/digits.csv.gz``. The splits are stratified and fixed
by ``--seed`` so every checkout trains and evaluates on the same images.

    python tools/dataset_converters/make_digits.py [--csv digits.csv.gz]
"""
import argparse
import gzip
import os.path as osp

import numpy as np

OUT = osp.join(osp.dirname(__file__), '..', '..', 'gml', 'datasets', 'data',
               'digits.npz')


def default_csv():
    import sklearn.datasets
    return osp.join(osp.dirname(sklearn.datasets.__file__), 'data',
                    'digits.csv.gz')


def stratified_splits(labels, fractions, seed):
    """Per class, shuffle and cut into len(fractions) parts."""
    rng = np.random.default_rng(seed)
    parts = [[] for _ in fractions]
    bounds = np.cumsum(fractions)[:-1]
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        cuts = (bounds * len(idx)).round().astype(int)
        for part, chunk in zip(parts, np.split(idx, cuts)):
            part.extend(chunk.tolist())
    return [np.sort(np.asarray(p, dtype=np.int16)) for p in parts]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--csv', default=None)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default=OUT)
    args = parser.parse_args()
    with gzip.open(args.csv or default_csv(), 'rt') as f:
        table = np.loadtxt(f, delimiter=',', dtype=np.uint8)
    images = table[:, :64].reshape(-1, 8, 8)  # ink counts 0..16
    labels = table[:, 64]
    train, val, test = stratified_splits(labels, (0.6, 0.2, 0.2), args.seed)
    np.savez_compressed(
        args.out, images=images, labels=labels, train=train, val=val,
        test=test)
    print(f'{args.out}: {len(images)} images, train/val/test = '
          f'{len(train)}/{len(val)}/{len(test)}')


if __name__ == '__main__':
    main()
