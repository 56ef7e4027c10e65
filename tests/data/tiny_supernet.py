"""A briefly trained tiny SPOS supernet, so that candidates score apart."""
import os.path as osp
import random

import torch

CONFIG = osp.join(osp.dirname(osp.abspath(__file__)), 'tiny_spos_search.py')


def build_tiny_supernet(cfg=None):
    from gml.registry import MODELS
    from gml.config.loading import load_config
    cfg = cfg or load_config(CONFIG)
    return MODELS.build(dict(cfg.model,
                             data_preprocessor=cfg.data_preprocessor))


def train_tiny_supernet(path: str, epochs: int = 5) -> str:
    """Five epochs of uniform path sampling on the digits (~1 s/epoch on
    one CPU thread), saved as an mmengine checkpoint at ``path``."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    from gml.config.loading import load_config
    cfg = load_config(CONFIG)
    torch.manual_seed(0)
    random.seed(0)  # the mutator samples each step's path with it
    model = build_tiny_supernet(cfg)
    scope = DefaultScope.get_instance('tiny_supernet', scope_name='gml')
    with DefaultScope.overwrite_default_scope(scope.scope_name):
        loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    optim = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    # one thread: the weights (and so how far apart candidates score) must
    # not depend on OMP_NUM_THREADS or on what earlier tests set
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(epochs):
            for batch in loader:
                data = model.data_preprocessor(batch, True)
                losses = model(data['inputs'], data['data_samples'],
                               mode='loss')
                optim.zero_grad()
                sum(losses.values()).backward()
                optim.step()
    finally:
        torch.set_num_threads(threads)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path
