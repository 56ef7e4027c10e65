"""Prepare data/fashion_mnist/ (the four unzipped idx files) for gml.

    python tools/dataset_converters/prepare_fashion_mnist.py [--out DIR]

Takes the files from Debian's ``dataset-fashion-mnist`` package
(/usr/share/datasets/fashion-mnist/), installing it with apt-get when apt
exists and the package is missing; otherwise lets mmpretrain download them.
Does nothing when DIR already holds the complete files (idempotent); a
failure is one line on stderr and exit 2.
"""
import argparse
import gzip
import os
import os.path as osp
import shutil
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
DEBIAN = '/usr/share/datasets/fashion-mnist'
PACKAGE = 'dataset-fashion-mnist'


def from_debian(out, names):
    if not all(osp.isfile(osp.join(DEBIAN, n + '.gz')) for n in names):
        if shutil.which('apt-get') is None:
            return False
        sudo = [] if os.geteuid() == 0 else ['sudo', '-n']
        print(f'installing {PACKAGE} with apt-get', flush=True)
        cmd = sudo + ['apt-get', 'install', '-y', '-q', PACKAGE]
        # a fresh machine's package lists may not know it yet
        if subprocess.run(cmd).returncode != 0 and (
                subprocess.run(sudo + ['apt-get', 'update', '-q']).returncode
                != 0 or subprocess.run(cmd).returncode != 0):
            return False
    for n in names:
        tmp = osp.join(out, n + '.part')
        with gzip.open(osp.join(DEBIAN, n + '.gz')) as src, \
                open(tmp, 'wb') as dst:
            shutil.copyfileobj(src, dst)
        os.replace(tmp, osp.join(out, n))  # never a half-written file
    return True


def from_mmpretrain(out):
    from mmpretrain.datasets import FashionMNIST
    FashionMNIST(data_root=out, download=True)


def main():
    from gml.datasets.fashion_mnist import FILE_BYTES, check_fashion_mnist
    from gml.utils.errors import UserError
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default='data/fashion_mnist')
    p.add_argument('--force', action='store_true',
                   help='prepare again even if the files look complete')
    args = p.parse_args()
    try:
        if not args.force:
            check_fashion_mnist(args.out)
            print(f'{args.out}: Fashion-MNIST already prepared')
            return
    except UserError:
        pass
    os.makedirs(args.out, exist_ok=True)
    if not from_debian(args.out, list(FILE_BYTES)):
        print(f'{PACKAGE} not available: downloading with mmpretrain',
              flush=True)
        try:
            from_mmpretrain(args.out)
        except Exception as e:  # offline: say so in one line
            print(f'prepare_fashion_mnist: download into {args.out} '
                  f'failed ({" ".join(str(e).split())}); install {PACKAGE} '
                  'or copy the four idx files there', file=sys.stderr)
            sys.exit(2)
    try:
        check_fashion_mnist(args.out)
    except UserError as e:
        print(f'prepare_fashion_mnist: {e}', file=sys.stderr)
        sys.exit(2)
    print(f'{args.out}: Fashion-MNIST ready (60,000 train, 10,000 test)')


if __name__ == '__main__':
    main()
