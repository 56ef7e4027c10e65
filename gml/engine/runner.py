"""Build the mmengine Runner a config asks for."""
from mmengine.config import Config
from mmengine.runner import Runner


def build_runner(cfg: Config) -> Runner:
    """``cfg.runner_type`` (a registered Runner subclass) or mmengine's."""
    if 'runner_type' in cfg:
        from gml.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
