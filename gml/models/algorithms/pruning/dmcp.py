"""DMCP: differentiable Markov channel pruning (Guo et al., CVPR 2020).

Search (``retraining=False``), every iteration:

1. weights: the full-width network learns from the labels; the narrowest
   network and ``arch_sample_num - 2`` networks sampled from the Markov
   process learn from the labels, or, after ``distill_iter`` iterations, from
   the full network's predictions (in-place distillation); one step of the
   ``architecture`` optimizer on the summed gradients;
2. architecture (from ``arch_start_train``, every ``arch_train_freq``
   iterations): the full-width network with every channel scaled by the
   probability that its group is kept, trained on the labels plus the FLOPs
   loss of the expected FLOPs; one step of the ``mutator`` optimizer.

The structure DMCP found is exported by ``DMCPSubnetExportHook``. Retraining
(``retraining=True``, ``mutable_cfg=<subnet.npy|yaml>``) builds an ordinary
network of exactly those widths and trains it like any classifier.
"""
import copy
from typing import Dict, Optional

import torch
from mmengine.dist import all_reduce_params, get_world_size
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict

from gml.registry import MODELS
from gml.utils.errors import ConfigError

from ..base import BaseAlgorithm
from .subnet_io import load_subnet

OPTIM_KEYS = ('architecture', 'mutator')


@MODELS.register_module()
class DMCP(BaseAlgorithm):
    """DMCP channel pruning of an ``ImageClassifierSearch`` supernet.

    Args:
        model (dict): the supernet config (``gml.ImageClassifierSearch``
            with a ``gml.MobileNetV2Slice`` backbone and a
            ``gml.LinearClsHead_WithFLOPs`` head).
        mutator (dict): the channel mutator, ``gml.DMCPChannelMutator``.
        algorithm_cfg (dict): ``arch_start_train`` (iteration at which
            architecture updates begin; None = 0), ``arch_train_freq``
            (iterations between them) and ``arch_sample_num`` (networks
            trained per iteration: full, narrowest, and sampled ones).
        distill_iter (int): iteration from which sampled networks learn from
            the full network instead of the labels.
        retraining (bool): build the pruned network from ``mutable_cfg``
            instead of searching.
        mutable_cfg (str): a ``subnet.npy``/``subnet.yaml`` written by the
            search (``work_dir/model_sample/``).
        data_preprocessor (dict): defaults to the model config's one.
        init_cfg (dict): mmengine init config of the whole algorithm.
    """

    def __init__(self,
                 model: dict,
                 mutator: Optional[dict] = None,
                 algorithm_cfg: Optional[dict] = None,
                 distill_iter: int = 0,
                 retraining: bool = False,
                 mutable_cfg: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if retraining:
            model = self._pruned_model_cfg(copy.deepcopy(model), mutable_cfg)
        super().__init__(model, data_preprocessor, init_cfg)
        self.retraining = retraining
        if retraining:
            return

        cfg = dict(arch_start_train=None, arch_train_freq=1,
                   arch_sample_num=5)
        unknown = set(algorithm_cfg or {}) - set(cfg)
        if unknown:
            raise ConfigError(f'DMCP: unknown algorithm_cfg keys '
                              f'{sorted(unknown)}; expected {sorted(cfg)}')
        cfg.update(algorithm_cfg or {})
        self.arch_start_train = int(cfg['arch_start_train'] or 0)
        self.arch_train_freq = int(cfg['arch_train_freq'])
        self.arch_sample_num = int(cfg['arch_sample_num'])
        if self.arch_train_freq < 1 or self.arch_sample_num < 1:
            raise ConfigError('DMCP: algorithm_cfg.arch_train_freq and '
                              'arch_sample_num must be >= 1, got '
                              f'{cfg}')
        self.distill_iter = int(distill_iter)
        self.mutator = MODELS.build(mutator or dict(type='DMCPChannelMutator'))
        self.mutator.prepare_from_supernet(self.architecture)
        self._iter = 0

    # retraining -------------------------------------------------------------
    @staticmethod
    def _pruned_model_cfg(model: dict, mutable_cfg: Optional[str]) -> dict:
        """The model config with the backbone fixed to ``mutable_cfg``."""
        if not mutable_cfg:
            raise ConfigError('DMCP: retraining=True needs algorithm.'
                              'mutable_cfg=<work_dir>/model_sample/'
                              'subnet.npy (or .yaml) written by the search')
        supernet = MODELS.build(copy.deepcopy(model['backbone']))
        max_widths = {m.alias: m.max_choice
                      for m in supernet.mutables.values()}
        widths = load_subnet(mutable_cfg, supernet.layer_names, max_widths)
        model['backbone'] = dict(model['backbone'], widths=widths)
        model['head'] = dict(model['head'], in_channels=widths['conv2'])
        return model

    # common -----------------------------------------------------------------
    @property
    def head(self):
        return self.architecture.head

    @property
    def input_size(self):
        return self.head.input_size

    def flops(self, widths: Dict[str, object]):
        """FLOPs of the supernet with ``widths`` at the head's input size."""
        return self.architecture.flops(widths, self.input_size)

    def expected_flops(self) -> torch.Tensor:
        return self.flops(self.mutator.expected_widths())

    # search -----------------------------------------------------------------
    def train_step(self, data, optim_wrapper) -> Dict[str, torch.Tensor]:
        if self.retraining:
            return super().train_step(data, optim_wrapper)
        self._check_optim_wrapper(optim_wrapper)
        data = self.data_preprocessor(data, True)
        inputs, samples = data['inputs'], data['data_samples']
        it = self._current_iter()
        log_vars = self._train_weights(inputs, samples,
                                       optim_wrapper['architecture'], it)
        if it >= self.arch_start_train and \
                (it - self.arch_start_train) % self.arch_train_freq == 0:
            log_vars.update(self._train_arch(inputs, samples,
                                             optim_wrapper['mutator']))
        self.mutator.set_choices(self.mutator.max_choices())
        with torch.no_grad():
            log_vars['expected_mflops'] = self.expected_flops() / 1e6
        self._iter = it + 1
        return log_vars

    def _train_weights(self, inputs, samples, wrapper: OptimWrapper,
                       it: int) -> Dict[str, torch.Tensor]:
        mutator, log_vars = self.mutator, {}
        mutator.clear_masks()
        structures = [mutator.max_choices()]
        if self.arch_sample_num >= 2:
            structures.append(mutator.min_choices())
        structures += [mutator.sample_choices()
                       for _ in range(self.arch_sample_num - 2)]
        teacher = None
        with wrapper.optim_context(self):
            for k, widths in enumerate(structures):
                mutator.set_choices(widths)
                logits = self.architecture.logits(inputs)
                if k == 0:
                    teacher = logits.detach()
                    losses = self.head._get_loss(logits, samples)
                    tag = 'max'
                elif it >= self.distill_iter:
                    losses = dict(loss=self.head.loss_distill(logits, teacher))
                    tag = 'min' if k == 1 else 'sample'
                else:
                    losses = self.head._get_loss(logits, samples)
                    tag = 'min' if k == 1 else 'sample'
                loss, parsed = self.parse_losses(losses)
                wrapper.backward(loss)
                if k == 0:  # accuracy etc. of the full network
                    log_vars.update(
                        {key: v for key, v in parsed.items() if key != 'loss'})
                # loss_sample is the mean over the sampled networks
                share = 1 if k < 2 else len(structures) - 2
                name = f'loss_{tag}'
                log_vars[name] = log_vars.get(name, 0) + \
                    parsed['loss'].detach() / share
        self._sync_grads(self.architecture.parameters())
        wrapper.step()
        wrapper.zero_grad()
        return log_vars

    def _train_arch(self, inputs, samples,
                    wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        params = list(self.mutator.arch_parameters())
        with wrapper.optim_context(self):
            self.mutator.set_soft_masks()
            logits = self.architecture.logits(inputs)
            loss_cls = self.head._get_loss(logits, samples)['loss']
            loss_flops = self.head.loss_flops(self.expected_flops())
        self.mutator.clear_masks()
        # only the architecture parameters learn from this forward
        wrapper.backward(loss_cls + loss_flops, inputs=params)
        self._sync_grads(params)
        wrapper.step()
        wrapper.zero_grad()
        return dict(loss_arch=loss_cls.detach(),
                    loss_flops=loss_flops.detach())

    @staticmethod
    def _sync_grads(params) -> None:
        """Average gradients over ranks (this multi-forward step runs outside
        DDP's reducer, see ``DMCPDDP``)."""
        world = get_world_size()
        if world > 1:
            grads = [p.grad for p in params if p.grad is not None]
            all_reduce_params(grads, op='mean')

    def _current_iter(self) -> int:
        hub = MessageHub.get_current_instance()
        it = hub.get_info('iter')
        return self._iter if it is None else int(it)

    @staticmethod
    def _check_optim_wrapper(optim_wrapper) -> None:
        if not isinstance(optim_wrapper, OptimWrapperDict) or \
                not set(OPTIM_KEYS) <= set(optim_wrapper.optim_wrappers):
            raise TypeError(
                'DMCP search needs two optimizers: set optim_wrapper = dict('
                "constructor='gml.SeparateOptimWrapperConstructor', "
                'architecture=dict(...), mutator=dict(...)) in the config '
                f'(got {type(optim_wrapper).__name__})')

    def structures(self) -> Dict[str, Dict[str, int]]:
        """The structures the search can export, by mode."""
        return dict(expected=self.mutator.expected_choices(),
                    most_probable=self.mutator.most_probable_choices())
