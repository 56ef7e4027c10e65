"""The pipelines in configs/compress/ pass the checks, and every stage's
config (and test config) loads with the stage's own options."""
import glob
import os

import pytest

from gml.compress.cli import load_pipeline
from gml.config.loading import load_config

from ..test_tools.helpers import ROOT

PIPELINES = sorted(glob.glob(os.path.join(ROOT, 'configs/compress/*.py')))


def test_both_chains_ship_with_an_imagenet_twin():
    names = {os.path.basename(p) for p in PIPELINES}
    assert {'prune_first_mobilenetv2_digits.py',
            'prune_first_mobilenetv2_imagenet.py',
            'search_first_spos_digits.py',
            'search_first_spos_imagenet.py'} <= names


@pytest.mark.parametrize('path', PIPELINES, ids=os.path.basename)
def test_shipped_pipeline_is_valid(path):
    _, stages, settings = load_pipeline(path)
    assert settings['deploy'] == 'int8'
    assert stages[-1].type.name in ('export', 'ptq')
    for stage in stages:
        cfg = load_config(stage.config, stage.own_options)
        assert cfg.model
        load_config(stage.test_config, stage.own_test_options)
