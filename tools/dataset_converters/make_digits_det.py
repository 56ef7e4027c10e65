"""Write the digits detection task (COCO json + PNGs) under ``data/``.

The embedded digits, 1-4 per 64x64 canvas at seeded positions and scales
(see ``gml/datasets/digits_det.py``); train/val/test = 600/100/200 images.
Idempotent: splits already written are kept.

    python tools/dataset_converters/make_digits_det.py [--root data/digits_det]
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from gml.apis.cli import OneLineErrorParser  # noqa: E402


def main(argv=None):
    parser = OneLineErrorParser(description=__doc__.splitlines()[0])
    parser.add_argument('--root', default='data/digits_det')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    from gml.datasets.digits_det import write_digits_det
    for split, path in write_digits_det(args.root, args.seed).items():
        print(f'{split}: {path}')


if __name__ == '__main__':
    main()
