"""A tiny digits classifier, trained once per test session, for QAT tests."""
import atexit
import functools
import os
import shutil
import tempfile

import torch
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from gml.datasets import DigitsDataset
from gml.deploy import build_float_model
from gml.config.loading import load_config

TINY_CFG = 'tests/data/qat_tiny_digits.py'
FLOAT_EPOCHS = 6


def tiny_config(**options):
    return load_config(TINY_CFG, options)


def digits(split: str) -> DigitsDataset:
    return DigitsDataset(split=split,
                         pipeline=[dict(type='mmpretrain.PackInputs')])


def loader(split: str, batch_size: int = 32, shuffle: bool = False):
    return DataLoader(digits(split), batch_size=batch_size, shuffle=shuffle,
                      collate_fn=pseudo_collate,
                      generator=torch.Generator().manual_seed(0))


def accuracy(model, split: str = 'test') -> float:
    """Top-1 (%) of an mmpretrain-style model (``mode='predict'``)."""
    model.eval()
    right = total = 0
    with torch.no_grad():
        for batch in loader(split, 128):
            data = model.data_preprocessor(batch, False)
            for sample in model(**data, mode='predict'):
                right += int(sample.pred_label == sample.gt_label)
                total += 1
    return 100.0 * right / total


@functools.lru_cache(maxsize=None)
def float_checkpoint() -> str:
    """Train the tiny float classifier (a few seconds) and save it as an
    mmengine-style checkpoint; the path is valid for the session."""
    torch.manual_seed(0)
    model = build_float_model(tiny_config())
    optim = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                            weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        optim, 0.1, total_steps=FLOAT_EPOCHS * len(loader('train')))
    for _ in range(FLOAT_EPOCHS):
        model.train()
        for batch in loader('train', shuffle=True):
            data = model.data_preprocessor(batch, True)
            loss = model(**data, mode='loss')['loss']
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
    folder = tempfile.mkdtemp(prefix='gml_qat_float_')
    atexit.register(shutil.rmtree, folder, True)
    path = os.path.join(folder, 'float.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict(epoch=6)), path)
    return path
