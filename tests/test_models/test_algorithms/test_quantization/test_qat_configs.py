"""configs/quantization/qat: each wraps the float model its float config
trains (so the float checkpoint fits), with the published QAT recipe."""
import glob
import os

import pytest

from gml.deploy import float_model_cfg
from gml.registry import MODELS
from gml.config.loading import load_config
from tests.test_tools.helpers import ROOT

QAT_DIR = os.path.join(ROOT, 'configs', 'quantization', 'qat')
#: QAT config -> the config whose checkpoint it fine-tunes
FLOAT_OF = {
    'qat_resnet18_digits.py': 'classification/digits/resnet18_digits.py',
    'qat_spos_shufflenetv2_subnet_digits.py':
    'nas/spos/spos_shufflenetv2_subnet_digits.py',
    'qat_dmcp_mobilenetv2_digits.py':
    'pruning/dmcp/dmcp_mobilenetv2_digits_retrain.py',
    'qat_spos_shufflenetv2_subnet_8xb32_10e_in1k.py':
    'nas/spos/spos_shufflenetv2_subnet_8xb128_in1k.py',
    'qat_dmcp_mobilenetv2_8xb32_10e_in1k.py':
    'pruning/dmcp/dmcp_mobilenetv2_imagenet_8xb256_retrain.py',
    'qat_mobilenetv2_8xb32_10e_in1k.py': None,  # mmpretrain's model
    'qat_dmcp_mobilenetv2_fashion_mnist.py':
    'pruning/dmcp/dmcp_mobilenetv2_fashion_mnist_retrain.py',
}
#: (epochs, validation interval, freeze observers / BN at epoch) by data:
#: Fashion-MNIST's epochs are 430 steps, so 3 epochs, validated at the end
RECIPE = dict(in1k=(10, 1, (4, 3)), digits=(4, 1, (3, 2)),
              fashion_mnist=(3, 3, (2, 1)))


def test_every_qat_config_is_listed():
    assert sorted(os.path.basename(p) for p in glob.glob(
        os.path.join(QAT_DIR, '*.py'))) == sorted(FLOAT_OF)


@pytest.mark.parametrize('name', sorted(FLOAT_OF))
def test_wraps_the_float_model_with_the_recipe(name):
    cfg = load_config(os.path.join(QAT_DIR, name))
    assert cfg.model.type == 'gml.QAT'
    assert cfg.model.float_checkpoint is None  # given on the command line
    if FLOAT_OF[name] is not None:
        float_cfg = load_config(os.path.join(ROOT, 'configs', FLOAT_OF[name]))
        assert cfg.model.model == float_cfg.model
    imagenet = name.endswith('in1k.py')
    if imagenet:
        assert cfg.model.input_shape == (3, 224, 224)
    else:  # the shape the digits configs' data really has
        import gml.datasets  # noqa: F401  (registers gml's datasets)
        from gml.registry import DATASETS
        sample = DATASETS.build(cfg.test_dataloader.dataset)[0]
        assert cfg.model.input_shape == tuple(sample['inputs'].shape)
    # a short fine-tune, epoch-based (the freeze schedule counts epochs),
    # checkpointed every epoch (a killed QAT resumes from the last one)
    data = 'fashion_mnist' if 'fashion_mnist' in name else (
        'in1k' if imagenet else 'digits')
    epochs, val_interval, freeze = RECIPE[data]
    assert cfg.train_cfg.by_epoch
    assert cfg.train_cfg.val_interval == val_interval
    assert cfg.default_hooks.checkpoint.interval == 1
    assert cfg.train_cfg.max_epochs == epochs
    assert (cfg.model.freeze_observer_epoch,
            cfg.model.freeze_bn_epoch) == freeze
    if imagenet:  # torchvision's QAT MobileNetV2 recipe
        opt = cfg.optim_wrapper.optimizer
        assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == \
            ('SGD', 1e-4, 0.9, 1e-4)
        assert cfg.train_dataloader.batch_size == 32
    # ranks share observer ranges and BN statistics
    assert cfg.model_wrapper_cfg.broadcast_buffers is True
    MODELS.build(cfg.model.quantizer)


def test_plain_float_model_builds():
    cfg = load_config(
        os.path.join(QAT_DIR, 'qat_mobilenetv2_8xb32_10e_in1k.py'))
    model = MODELS.build(float_model_cfg(cfg))
    assert type(model).__name__ == 'ImageClassifier'
    assert type(model.data_preprocessor).__name__ == 'ClsDataPreprocessor'
