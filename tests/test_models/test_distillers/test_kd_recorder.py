import pytest
import torch

from gml.models.distillers import ModuleOutputRecorder
from gml.registry import MODELS
from .kd_tiny_models import tiny_classifier


@pytest.fixture(scope='module')
def model():
    return MODELS.build(tiny_classifier(4)).eval()


def test_records_named_outputs_with_their_shapes(model):
    rec = ModuleOutputRecorder(
        model, ['backbone.layer1', 'backbone.layer2', 'backbone.layer4',
                'head.fc'])
    with rec.record() as out:
        logits = model(torch.randn(2, 3, 8, 8), mode='tensor')
    assert out['backbone.layer1'].shape == (2, 4, 8, 8)
    assert out['backbone.layer2'].shape == (2, 8, 4, 4)
    assert out['backbone.layer4'].shape == (2, 32, 1, 1)
    assert torch.equal(rec.get('head.fc'), logits)


def test_hooks_live_only_inside_record(model):
    rec = ModuleOutputRecorder(model, ['backbone.layer2'])
    with rec.record():
        pass
    assert not model.backbone.layer2._forward_hooks
    with pytest.raises(RuntimeError, match='did not run'):
        rec.get('backbone.layer2')


def test_wrong_path_lists_nearest_names(model):
    with pytest.raises(ValueError) as e:
        ModuleOutputRecorder(model, ['backbone.layr2'], owner='student')
    msg = str(e.value)
    assert "student has no module 'backbone.layr2'" in msg
    assert 'backbone.layer2' in msg
    with pytest.raises(ValueError, match=r'backbone\.layer1\.0'):
        ModuleOutputRecorder(model, ['backbone.layer1.7.conv1'])


def test_non_tensor_output_is_refused(model):
    rec = ModuleOutputRecorder(model, ['backbone'])  # returns a tuple
    with rec.record():
        model(torch.randn(1, 3, 8, 8), mode='tensor')
    with pytest.raises(TypeError, match="'backbone' returns a tuple"):
        rec.get('backbone')
