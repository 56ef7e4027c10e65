"""One optim wrapper per sub-module of an algorithm (e.g. weights vs arch).

mmengine's Runner accepts a dict of optim wrappers only through a
constructor. This one builds, for each key of the config, an optim wrapper
over the parameters of the model's attribute of the same name, and returns
them as an ``OptimWrapperDict``::

    optim_wrapper = dict(
        constructor='gml.SeparateOptimWrapperConstructor',
        architecture=dict(optimizer=dict(type='SGD', lr=0.1)),
        mutator=dict(optimizer=dict(type='Adam', lr=5e-3)))
"""
import copy

from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from gml.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SeparateOptimWrapperConstructor:
    """Build ``OptimWrapperDict({name: optim wrapper of model.<name>})``.

    Each value is an ordinary optim wrapper config (``type``,
    ``optimizer``, ``paramwise_cfg``...); ``paramwise_cfg`` may also be
    given per key.

    Args:
        optim_wrapper_cfg: ``{name: optim wrapper config}``, one per
            submodule ``model.<name>`` to optimise separately.
        paramwise_cfg: applied to every key that has no ``paramwise_cfg`` of
            its own.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg=None):
        if not optim_wrapper_cfg:
            raise ValueError('SeparateOptimWrapperConstructor: optim_wrapper '
                             'needs one entry per sub-module, e.g. '
                             'architecture=dict(...), mutator=dict(...)')
        self.optim_wrapper_cfg = copy.deepcopy(optim_wrapper_cfg)
        self.paramwise_cfg = paramwise_cfg

    def __call__(self, model) -> OptimWrapperDict:
        if is_model_wrapper(model):
            model = model.module
        wrappers = {}
        for name, cfg in self.optim_wrapper_cfg.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise ValueError(
                    f'optim_wrapper.{name}: expected dict(optimizer=dict('
                    f'type=..., lr=...)), got {cfg!r}')
            module = getattr(model, name, None)
            if module is None:
                raise ValueError(
                    f'optim_wrapper.{name}: {type(model).__name__} has no '
                    f'sub-module {name!r} to optimize')
            cfg = copy.deepcopy(cfg)
            paramwise = cfg.pop('paramwise_cfg', self.paramwise_cfg)
            wrappers[name] = DefaultOptimWrapperConstructor(
                cfg, paramwise)(module)
        return OptimWrapperDict(**wrappers)
