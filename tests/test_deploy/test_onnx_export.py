"""gml.deploy: a float classifier exported to ONNX is the model PyTorch
runs, with its normalization in front and its metadata recorded; export
and loading failures are one line naming the model or file."""
import onnx
import pytest
import torch
import torch.nn as nn

from gml.deploy import build_float_model
from gml.deploy.deployable import (DeployableClassifier,
                                   compare_with_onnxruntime)
from gml.deploy.onnx_export import describe, export_onnx
from gml.deploy.onnxruntime_eval import _check_shape, evaluate_onnx, \
    ort_session
from gml.utils.errors import ConfigError

from ..test_models.test_quantizers.tiny_qat import tiny_config


@pytest.fixture(scope='module')
def deployable():
    torch.manual_seed(0)
    model = build_float_model(tiny_config())
    return DeployableClassifier.from_model(model).eval()


@pytest.mark.parametrize('to_rgb', [False, True])
def test_deployable_preprocesses_like_the_data_preprocessor(to_rgb):
    torch.manual_seed(0)
    model = build_float_model(tiny_config(**{
        'data_preprocessor.to_rgb': to_rgb})).eval()
    pre = model.data_preprocessor
    assert pre.to_rgb is to_rgb
    deployable = DeployableClassifier.from_model(model).eval()
    images = torch.randint(0, 17, (4, 3, 8, 8)).float()
    images[:, 0] += 8  # channels differ, so a missing flip shows
    data = pre(dict(inputs=list(images), data_samples=None), False)
    with torch.no_grad():
        expected = model(data['inputs'], mode='tensor')
        got = deployable(images)
    assert torch.allclose(got, expected, atol=1e-5)


def test_exported_float_model_matches_pytorch_on_onnxruntime(
        deployable, tmp_path):
    path = str(tmp_path / 'model.onnx')
    info = export_onnx(deployable, (3, 8, 8), path,
                       metadata=dict(mean=[1.0, 2.0], note='x'))
    assert not info['int8'] and info['int8_weights'] == 0
    assert info['metadata'] == {'mean': '[1.0, 2.0]', 'note': 'x'}
    assert describe(path) == info  # the file says what the export said
    proto = onnx.load(path)
    assert [i.name for i in proto.graph.input] == ['input']
    # a dynamic batch: 1 and 5 both run
    for batch in (1, 5):
        stats = compare_with_onnxruntime(
            deployable, path, torch.rand(batch, 3, 8, 8) * 16)
        assert stats['max_abs_diff'] < 1e-4
        assert stats['argmax_agreement'] == 1.0


def test_export_failure_is_a_config_error_naming_the_model(tmp_path):
    class Untraceable(nn.Module):
        def forward(self, x):
            if x.sum() > 0:  # data-dependent control flow
                return x
            return -x

    path = tmp_path / 'bad.onnx'
    with pytest.raises(ConfigError, match='ONNX export of Untraceable '
                       'failed: '):
        export_onnx(Untraceable(), (1, 2, 2), str(path))
    assert not path.exists()  # nothing half-written


def test_unloadable_model_is_one_line_naming_the_file(tmp_path):
    path = tmp_path / 'not_onnx.onnx'
    path.write_bytes(b'not a model')
    with pytest.raises(ConfigError) as e:
        ort_session(str(path))
    assert str(path) in str(e.value) and '\n' not in str(e.value)


def test_evaluate_refuses_missing_file_and_non_image_inputs(tmp_path):
    missing = str(tmp_path / 'missing.onnx')
    with pytest.raises(ConfigError, match='does not exist'):
        evaluate_onnx(tiny_config(), missing)
    with pytest.raises(ConfigError, match=r'expected an image classifier '
                       r'input \(N, C, H, W\), got'):
        _check_shape(['batch', 10], 'm.onnx')
    _check_shape(['batch', 3, 8, 8], 'm.onnx')  # an image batch passes
