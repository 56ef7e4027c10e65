"""Distributed wrapper for DMCP's multi-forward training step.

mmengine's ``MMDistributedDataParallel.train_step`` runs one forward and one
backward; DMCP runs several networks and two optimizers per step. This
wrapper hands the step to ``DMCP.train_step``, which averages gradients over
ranks itself before each optimizer step.
"""
from mmengine.model import MMDistributedDataParallel

from gml.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class DMCPDDP(MMDistributedDataParallel):
    """DDP for DMCP: its train step runs several widths per iteration and
    synchronises gradients itself, so DDP's forward is never called.

    Args:
        module: the DMCP algorithm.
        **kwargs: MMDistributedDataParallel's (``find_unused_parameters`` is
            dropped: no forward to search).
    """

    def __init__(self, module, **kwargs):
        # the step never calls DDP's forward, so there is nothing to find
        kwargs.pop('find_unused_parameters', None)
        super().__init__(module=module, **kwargs)

    def train_step(self, data, optim_wrapper):
        return self.module.train_step(data, optim_wrapper)

    def val_step(self, data):
        return self.module.val_step(data)

    def test_step(self, data):
        return self.module.test_step(data)
