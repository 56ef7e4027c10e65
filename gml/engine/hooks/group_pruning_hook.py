"""Prune a ``gml.GroupPruning`` model during training, at given epochs."""
import os.path as osp

import torch
from mmengine.dist import broadcast_object_list, get_rank, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from gml.registry import HOOKS

SPEC_FILE = 'pruning_spec.yaml'
PRUNED_CKPT = 'pruned.pth'


@HOOKS.register_module()
class GroupPruningHook(Hook):
    """Run the pruning steps of ``GroupPruning`` before the epochs in its
    ``prune_epochs``; steps not reached by the end of training (one-shot
    with ``max_epochs=0``) run in ``after_train``.

    Rank 0 computes the spec (importance, ratio search) and broadcasts it;
    every rank, rank 0 included, applies it through the same replay, so
    all ranks hold the same model. The optimizer keeps its param groups
    (the pruned parameters replace the old ones by name, their momentum is
    dropped) and a DDP model is wrapped again around the new parameters.

    Writes ``work_dir/pruning_spec.yaml`` after every step, and at the end
    of training ``work_dir/pruned.pth`` (the state dict of the pruned
    model, ``{'state_dict': ...}``) beside the final spec.

    Every checkpoint carries the spec it was saved with
    (``meta.group_pruning_spec``); loading one (``--resume``, ``load_from``,
    ``tools/test.py``) first prunes the freshly built model to it, so a
    killed run resumes from its last checkpoint.

    Args:
        spec_file: the spec's file name under ``work_dir``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, spec_file: str = SPEC_FILE):
        self.spec_file = spec_file

    @staticmethod
    def _algorithm(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        algo = self._algorithm(runner)
        if algo.steps_done:
            checkpoint.setdefault('meta', {})['group_pruning_spec'] = \
                algo.spec()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        spec = (checkpoint.get('meta') or {}).get('group_pruning_spec')
        algo = self._algorithm(runner)
        if not spec or int(spec.get('steps', 0)) <= algo.steps_done:
            return
        self._apply(runner, algo, spec)
        runner.logger.info(
            f'GroupPruning: the checkpoint was pruned in {spec["steps"]} '
            'step(s); the model is pruned to its spec before loading it')

    def before_train_epoch(self, runner) -> None:
        algo = self._algorithm(runner)
        if runner.epoch in algo.prune_epochs[algo.steps_done:]:
            self.prune(runner)

    def after_train(self, runner) -> None:
        algo = self._algorithm(runner)
        while algo.steps_done < len(algo.prune_epochs):
            self.prune(runner)
        if is_main_process():
            path = osp.join(runner.work_dir, PRUNED_CKPT)
            torch.save(dict(state_dict=algo.state_dict(),
                            meta=dict(pruning_spec=self.spec_file)), path)
            runner.logger.info(f'GroupPruning: pruned model {path}, spec '
                               f'{osp.join(runner.work_dir, self.spec_file)}')

    def _taylor_batches(self, runner, algo):
        """The first batches of the training set in dataset order, so the
        importance does not depend on the sampler or the number of ranks."""
        if algo.importance != 'taylor':
            return None
        loader = runner.train_dataloader
        dataset, bs = loader.dataset, loader.batch_size
        n = min(algo.taylor_batches, len(dataset) // bs)
        return [loader.collate_fn([dataset[i]
                                   for i in range(k * bs, (k + 1) * bs)])
                for k in range(n)]

    def prune(self, runner) -> None:
        algo = self._algorithm(runner)
        step, steps = algo.steps_done + 1, len(algo.prune_epochs)
        spec = [None]
        if get_rank() == 0:
            spec[0] = algo.search_spec(step, steps,
                                       self._taylor_batches(runner, algo))
        broadcast_object_list(spec)
        spec = spec[0]
        self._apply(runner, algo, spec)
        if is_main_process():
            from gml.models.algorithms.pruning.group_pruning import dump_spec
            dump_spec(spec, osp.join(runner.work_dir, self.spec_file))
        f = spec['flops']
        runner.logger.info(
            f'GroupPruning: step {step}/{steps}: FLOPs '
            f'{f["original"] / 1e6:.3f}M -> {f["pruned"] / 1e6:.3f}M '
            f'({f["pruned"] / f["original"]:.1%}), params '
            f'{spec["params"]["pruned"] / 1e6:.3f}M')

    def _apply(self, runner, algo, spec) -> None:
        """Prune ``algo`` to ``spec``; the optimizer and the DDP wrapper
        follow the new parameters."""
        old = {id(p): n for n, p in algo.named_parameters()}
        algo.apply_spec(spec)
        self._update_optimizer(runner, algo, old)
        if is_model_wrapper(runner.model):
            runner.model = runner.wrap_model(
                runner.cfg.get('model_wrapper_cfg'), algo)

    @staticmethod
    def _update_optimizer(runner, algo, old) -> None:
        wrapper = getattr(runner, 'optim_wrapper', None)
        optimizer = getattr(wrapper, 'optimizer', None)
        if not isinstance(optimizer, torch.optim.Optimizer):
            return  # not built (one-shot, testing): its config, or nothing
        new = dict(algo.named_parameters())
        for group in optimizer.param_groups:
            group['params'] = [new[old[id(p)]] for p in group['params']
                               if old.get(id(p)) in new]
        optimizer.state.clear()
