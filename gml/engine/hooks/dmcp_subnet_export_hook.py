"""Write the structure a DMCP search found to ``work_dir/model_sample/``."""
import os.path as osp

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from gml.registry import HOOKS

MODES = ('expected', 'most_probable')


@HOOKS.register_module()
class DMCPSubnetExportHook(Hook):
    """Export ``subnet.npy`` and ``subnet.yaml`` after every epoch and at
    the end of training, so an interrupted search still leaves a structure.

    Args:
        mode (str): ``'expected'`` (each layer's expected width, rounded) or
            ``'most_probable'`` (each layer's most probable candidate width).
        out_dir (str): folder under ``work_dir``.
    """

    priority = 'LOW'

    def __init__(self, mode: str = 'expected', out_dir: str = 'model_sample'):
        if mode not in MODES:
            raise ValueError(f'DMCPSubnetExportHook: mode={mode!r}, expected '
                             f'one of {MODES}')
        self.mode = mode
        self.out_dir = out_dir

    def after_train_epoch(self, runner) -> None:
        self.export(runner)

    def after_train(self, runner) -> None:
        path = self.export(runner)
        runner.logger.info(f'DMCP: exported the {self.mode} structure to '
                           f'{path}')

    @master_only
    def export(self, runner) -> str:
        from gml.models.algorithms.pruning.subnet_io import save_subnet
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, 'mutator'):
            raise TypeError('DMCPSubnetExportHook needs a gml.DMCP search '
                            f'model, got {type(model).__name__}')
        widths = model.structures()[self.mode]
        flops = float(model.flops(widths)) / 1e6
        meta = dict(mode=self.mode,
                    input_size=list(model.input_size),
                    mflops=round(flops, 4),
                    target_mflops=model.head.target_flops,
                    supernet_mflops=round(float(model.flops(
                        model.mutator.max_choices())) / 1e6, 4),
                    iter=runner.iter)
        out = osp.join(runner.work_dir, self.out_dir)
        return save_subnet(widths, out, meta)['npy']
