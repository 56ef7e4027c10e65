"""The Runner gml's tools build: mmengine's, with checked checkpoint loads.

mmengine loads ``load_from`` and resumed checkpoints non-strictly: a
checkpoint of another model loads (almost) nothing, a warning scrolls by and
the run goes on with random weights. gml's Runner refuses instead: a
checkpoint that is missing, unreadable or does not fit the model is a
one-line :class:`~gml.utils.errors.CheckpointError`.
"""
from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner as MMEngineRunner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from gml.registry import RUNNERS
from gml.utils.checkpoint import (check_state_dict_fits, load_checkpoint_file,
                                  resolve_checkpoint, state_dict_of)


@RUNNERS.register_module()
class Runner(MMEngineRunner):
    """mmengine's Runner whose checkpoint loads are checked.

    ``checkpoint_fit`` says how much of the model a ``load_from``
    checkpoint must supply: ``'all'`` (testing, searching: every tensor) or
    ``'most'`` (fine-tuning: at least half). A resumed checkpoint must
    always supply all of it. ``<work_dir>/latest.pth`` resolves through
    mmengine's ``last_checkpoint``. ``started`` turns True once the
    checkpoint is loaded, i.e. when the run itself begins.

    Args:
        model, work_dir, ..., cfg: exactly mmengine's ``Runner`` arguments;
            ``checkpoint_fit`` is set by the tools, not passed here.
    """

    checkpoint_fit = 'most'
    started = False

    def load_or_resume(self) -> None:
        super().load_or_resume()
        self.started = True

    def resume(self, filename: str, *args, **kwargs) -> None:
        self._resuming = True
        try:
            super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False

    def load_checkpoint(self, filename: str, map_location='cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        resuming = getattr(self, '_resuming', False)
        key = '--resume' if resuming else 'load_from'
        filename = resolve_checkpoint(filename, key)
        checkpoint = load_checkpoint_file(filename, map_location, key)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        check_state_dict_fits(
            model, state_dict_of(checkpoint), filename,
            require='all' if resuming or strict else self.checkpoint_fit)
        checkpoint = _load_checkpoint_to_model(
            model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint


def build_runner(cfg: Config, checkpoint_fit: str = 'most') -> MMEngineRunner:
    """The Runner ``cfg`` asks for (``runner_type``), gml's by default.

    Args:
        cfg: a loaded config (``gml.config.loading.load_config``).
        checkpoint_fit: see :class:`Runner`; applies to gml's Runner.
    """
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    if isinstance(runner, Runner):
        runner.checkpoint_fit = checkpoint_fit
    return runner
