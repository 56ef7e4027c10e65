"""Validate/test a supernet on one fixed path instead of a random one."""
from typing import Dict, Union

from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop

from gml.engine.scoring.candidate_scorer import cache_batches, recalibrate_bn
from gml.registry import LOOPS
from gml.structures import subnet_from_cfg


class _OnSubnet:
    """Run the parent loop with the supernet set to ``subnet`` ('default':
    each block's first candidate), restoring the choices afterwards.

    With ``calibrate_batches > 0`` the path's BatchNorm statistics are first
    re-estimated on that many training batches: the running statistics a
    supernet accumulates mix every sampled path and fit none of them.
    A fixed (non-supernet) model is evaluated as it is.
    """

    def __init__(self, runner, dataloader, evaluator, fp16: bool = False,
                 subnet: Union[str, Dict] = 'default',
                 calibrate_batches: int = 0):
        super().__init__(runner, dataloader, evaluator, fp16)
        self.subnet = subnet
        self.calibrate_batches = calibrate_batches

    def run(self):
        return self._run_on_subnet(super().run)

    def _run_on_subnet(self, run):
        model = self.runner.model
        model = model.module if is_model_wrapper(model) else model
        if not getattr(model, 'is_supernet', False):
            return run()
        mutator = model.mutator
        subnet = (mutator.default_choices() if self.subnet == 'default'
                  else subnet_from_cfg(self.subnet))
        saved = mutator.current_choices
        mutator.set_choices(subnet)
        try:
            if self.calibrate_batches > 0:
                recalibrate_bn(model, cache_batches(
                    self.runner.train_dataloader, self.calibrate_batches))
            return run()
        finally:
            mutator.set_choices(saved)


@LOOPS.register_module()
class SubnetValLoop(_OnSubnet, ValLoop):
    """mmengine's ValLoop on one fixed path (see ``_OnSubnet``).

    Args:
        runner, dataloader, evaluator, fp16: as mmengine's ``ValLoop``.
        subnet: the path to validate: ``'default'`` (each block's first
            candidate), or a subnet dict / yaml file.
        calibrate_batches: training batches to re-estimate the path's BN
            statistics on first (0: use the running statistics).
    """


@LOOPS.register_module()
class SubnetTestLoop(_OnSubnet, TestLoop):
    """mmengine's TestLoop on one fixed path (see ``_OnSubnet``).

    Args:
        runner, dataloader, evaluator, fp16, subnet, calibrate_batches: as
            :class:`SubnetValLoop` (``TestLoop``'s instead of ``ValLoop``'s).
    """
