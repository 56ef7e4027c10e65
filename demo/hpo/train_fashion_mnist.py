"""Train a small CNN on Fashion-MNIST: the HPO demo's real-data job script.

PyTorch's MNIST example (``mnist.py``, the script the seed's HPO yaml
launches): two 3x3 convolutions, max-pooling, dropout, two linear layers,
Adadelta and a StepLR decay by ``gamma`` every epoch, with the same
``--lr --batch-size --epochs --gamma`` flags. Scaled to a CPU search:
``--width`` convolution channels and ``--hidden`` units (the parameter
count a constrained search limits), and ``--train-size`` training images.

Data: gml's Fashion-MNIST splits (mmpretrain's reader,
``data/fashion_mnist/``, prepared by ``tools/install.sh``); it trains on the
first ``--train-size`` images of the train split and reports accuracy on
the 5,000 held-out validation images after every epoch with
``gml.hpo.report`` (a no-op outside a search). The test images stay for
final figures (``--test`` prints the test accuracy at the end).

    python train_fashion_mnist.py --lr 1 --batch-size 64 --epochs 3 \
        --gamma 0.7
"""
import argparse
import os
import os.path as osp
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from gml.hpo import report

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class Net(nn.Module):
    """mnist.py's network, ``width`` and ``2 * width`` conv channels."""

    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, 1)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(2 * width * 12 * 12, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return self.fc2(x)


def load(root, split, limit=None):
    """(images normalized as mnist.py does, labels) of one split."""
    from gml.datasets import FashionMNISTSplit
    ds = FashionMNISTSplit(data_root=root, split=split, pipeline=[],
                           lazy_init=False)
    n = len(ds) if limit is None else min(limit, len(ds))
    infos = [ds.get_data_info(i) for i in range(n)]
    x = torch.from_numpy(np.stack([i['img'][..., 0] for i in infos]))
    x = ((x.float() / 255.0 - 0.2860) / 0.3530)[:, None]  # the train stats
    return x, torch.tensor([int(i['gt_label']) for i in infos])


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    hits = sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
               for i in range(0, len(x), 1000))
    return 100.0 * hits / len(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--lr', type=float, default=1.0)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--gamma', type=float, default=0.7)
    parser.add_argument('--width', type=int, default=8)
    parser.add_argument('--hidden', type=int, default=32)
    parser.add_argument('--train-size', type=int, default=10000)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--test', action='store_true',
                        help='also print the test accuracy at the end')
    parser.add_argument('--data', default=osp.join(REPO, 'data',
                                                   'fashion_mnist'))
    args = parser.parse_args()
    for name in ('batch_size', 'epochs', 'width', 'hidden', 'train_size'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
    torch.manual_seed(args.seed)
    start = time.time()
    train_x, train_y = load(args.data, 'train', args.train_size)
    val_x, val_y = load(args.data, 'val')
    model = Net(args.width, args.hidden)
    report(params=float(sum(p.numel() for p in model.parameters())), step=0)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1,
                                                gamma=args.gamma)
    g = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x), generator=g)
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            loss = F.cross_entropy(model(train_x[idx]), train_y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = accuracy(model, val_x, val_y)
        report(acc=acc, loss=loss.item(), step=epoch)
        print(f'epoch {epoch}: loss {loss.item():.4f} val acc {acc:.2f}% '
              f'({time.time() - start:.0f} s)', flush=True)
    if args.test:
        test_x, test_y = load(args.data, 'test')
        print(f'test acc {accuracy(model, test_x, test_y):.2f}%', flush=True)


if __name__ == '__main__':
    main()
