"""Train a small MLP on the embedded UCI digits: the HPO demo's job script.

The counterpart of PyTorch's MNIST example (Adadelta, a StepLR decay by
``gamma`` every epoch, ``--lr --batch-size --epochs --gamma``) shrunk to the
8x8 digits and written in numpy, so one run takes well under a second and a
search of 8+ jobs finishes in seconds even on a busy 2-core machine. It
reports validation accuracy (%) each epoch with ``gml.hpo.report`` (a no-op
outside a search), which feeds rewards, ``search-ctl show-scalar`` and early
stopping.

    python train_digits.py --lr 1 --batch-size 64 --epochs 5 --gamma 0.7
"""
import argparse
import os

import numpy as np

import gml
from gml.hpo import report

DIGITS = os.path.join(os.path.dirname(gml.__file__), 'datasets', 'data',
                      'digits.npz')


class MLP:
    """64 -> hidden (ReLU) -> 10, softmax cross-entropy."""

    def __init__(self, hidden: int, rng: np.random.Generator):
        self.params = {
            'w1': rng.normal(0, np.sqrt(2 / 64), (64, hidden)),
            'b1': np.zeros(hidden),
            'w2': rng.normal(0, np.sqrt(1 / hidden), (hidden, 10)),
            'b2': np.zeros(10),
        }

    def logits(self, x):
        p = self.params
        self._x, self._h = x, np.maximum(x @ p['w1'] + p['b1'], 0)
        return self._h @ p['w2'] + p['b2']

    def loss_and_grads(self, x, y):
        z = self.logits(x)
        z = z - z.max(1, keepdims=True)
        prob = np.exp(z) / np.exp(z).sum(1, keepdims=True)
        loss = -np.log(prob[np.arange(len(y)), y] + 1e-12).mean()
        dz = prob
        dz[np.arange(len(y)), y] -= 1
        dz /= len(y)
        p = self.params
        dh = (dz @ p['w2'].T) * (self._h > 0)
        return loss, {'w2': self._h.T @ dz, 'b2': dz.sum(0),
                      'w1': self._x.T @ dh, 'b1': dh.sum(0)}


class Adadelta:
    """torch.optim.Adadelta's update (rho 0.9, eps 1e-6)."""

    def __init__(self, params, lr, rho=0.9, eps=1e-6):
        self.params, self.lr, self.rho, self.eps = params, lr, rho, eps
        self.sq = {k: np.zeros_like(v) for k, v in params.items()}
        self.delta = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, grads):
        for k, g in grads.items():
            self.sq[k] = self.rho * self.sq[k] + (1 - self.rho) * g * g
            d = np.sqrt(self.delta[k] + self.eps) / np.sqrt(
                self.sq[k] + self.eps) * g
            self.delta[k] = self.rho * self.delta[k] + (1 - self.rho) * d * d
            self.params[k] -= self.lr * d


def load_split(data, split):
    idx = data[split]
    x = data['images'][idx].reshape(len(idx), -1).astype(np.float64) / 16.
    return (x - 0.3) / 0.4, data['labels'][idx].astype(np.int64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--lr', type=float, default=1.0)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--epochs', type=int, default=5)
    parser.add_argument('--gamma', type=float, default=0.7)
    parser.add_argument('--hidden', type=int, default=32)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--data', default=DIGITS)
    args = parser.parse_args()
    if args.batch_size < 1 or args.epochs < 1:
        parser.error('--batch-size and --epochs must be >= 1')

    rng = np.random.default_rng(args.seed)
    data = np.load(args.data)
    train_x, train_y = load_split(data, 'train')
    val_x, val_y = load_split(data, 'val')
    model = MLP(args.hidden, rng)
    report(params=float(sum(v.size for v in model.params.values())), step=0)
    optimizer = Adadelta(model.params, args.lr)
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(train_x))
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            loss, grads = model.loss_and_grads(train_x[batch], train_y[batch])
            optimizer.step(grads)
        optimizer.lr *= args.gamma  # StepLR(step_size=1, gamma)
        acc = float((model.logits(val_x).argmax(1) == val_y).mean() * 100)
        report(acc=acc, loss=float(loss), step=epoch)
        print(f'epoch {epoch}: loss {loss:.4f} val acc {acc:.2f}%', flush=True)


if __name__ == '__main__':
    main()
