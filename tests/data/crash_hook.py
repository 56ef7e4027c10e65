"""A hook that kills one rank mid-training: exercises --kill-on-bad-exit."""
import os

from mmengine.hooks import Hook

from gml.registry import HOOKS


@HOOKS.register_module()
class CrashRankHook(Hook):

    def __init__(self, rank: int = 1, after_iter: int = 1, code: int = 7):
        self.rank, self.after_iter, self.code = rank, after_iter, code

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.rank == self.rank and runner.iter + 1 >= self.after_iter:
            os._exit(self.code)
