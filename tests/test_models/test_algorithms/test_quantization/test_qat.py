"""gml.QAT: a training step, the observer/BN freeze schedule, checkpoints of
the right kind, on a tiny digits ResNet fine-tuned from its float weights."""
import copy

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

from gml.models.algorithms.quantization import load_float_checkpoint
from gml.models.quantizers import pt2e
from gml.registry import MODELS
from gml.utils.errors import CheckpointError, ConfigError

from ...test_quantizers.tiny_qat import (accuracy, float_checkpoint, loader,
                                        tiny_config)


@pytest.fixture(scope='module')
def qat():
    cfg = tiny_config()
    return MODELS.build(dict(cfg.model, float_checkpoint=float_checkpoint()))


@pytest.fixture(scope='module')
def fresh():
    """Built without float weights: how tools/test.py, export.py and a
    resumed run build it, before loading a QAT checkpoint."""
    return MODELS.build(tiny_config().model)


def batch(split='train', size=32):
    return next(iter(loader(split, size)))


def activation_ranges(model):
    return {n: fq.scale.clone() for n, fq in
            pt2e.fake_quant_modules(model.architecture)
            if fq.qscheme == torch.per_tensor_affine}


def bn_means(model):
    return {k: v.clone() for k, v in model.architecture.state_dict().items()
            if k.endswith('running_mean')}


def set_epoch(epoch):
    MessageHub.get_current_instance().update_info('epoch', epoch)


def test_starts_from_the_float_model(qat):
    # fake quantization costs little before any fine-tuning
    model = copy.deepcopy(qat)
    with torch.no_grad():  # let the activation observers see real data
        model.train()
        for _, data in zip(range(4), loader('train', 128)):
            model(**model.data_preprocessor(data, True), mode='tensor')
    float_model = MODELS.build(tiny_config().model.model)
    load_float_checkpoint(float_model, float_checkpoint(), 'test')
    assert accuracy(model) >= accuracy(float_model) - 5


def test_a_step_backpropagates_through_fake_quantization(qat):
    model = copy.deepcopy(qat)
    set_epoch(0)
    model.train()
    before = {k: v.clone() for k, v in model.named_parameters()}
    ranges = activation_ranges(model)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    log = model.train_step(batch(), wrapper)
    assert torch.isfinite(log['loss'])
    # every weight moved (straight-through gradients reach all of them) ...
    for name, param in model.named_parameters():
        assert not torch.equal(param, before[name]), name
    # ... and the observers set the activation ranges
    after = activation_ranges(model)
    assert all(not torch.equal(after[n], ranges[n]) for n in ranges)


def test_validation_does_not_move_quantization_ranges(qat):
    model = copy.deepcopy(qat)
    batches = iter(loader('val', 64))
    for training, moved in ((True, True), (False, False), (True, True),
                            (False, False)):
        model.train(training)
        ranges = activation_ranges(model)
        with torch.no_grad():
            model(model.data_preprocessor(next(batches), False)['inputs'])
        changed = [not torch.equal(v, ranges[k])
                   for k, v in activation_ranges(model).items()]
        assert any(changed) == moved, training


def test_freeze_schedule_survives_validation_and_resumes(qat, fresh):
    model = copy.deepcopy(qat)
    model.freeze_observer_epoch, model.freeze_bn_epoch = 1, 2
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    model.train()
    set_epoch(0)
    model.train_step(batch(), wrapper)  # ranges and BN adapting
    set_epoch(1)
    model.train_step(batch(), wrapper)  # ranges frozen, BN still adapting
    ranges, means = activation_ranges(model), bn_means(model)
    model.train_step(batch(), wrapper)
    assert all(torch.equal(v, ranges[k])
               for k, v in activation_ranges(model).items())
    assert any(not torch.equal(v, means[k])
               for k, v in bn_means(model).items())
    set_epoch(2)
    model.train_step(batch(), wrapper)  # BN frozen from here
    means = bn_means(model)
    model.eval()  # a validation in between must not unfreeze it
    model.train()
    model.train_step(batch(), wrapper)
    assert all(torch.equal(v, means[k]) for k, v in bn_means(model).items())
    # a resumed run (a fresh model, epoch 2) re-applies both freezes
    resumed = copy.deepcopy(fresh)
    resumed.freeze_observer_epoch, resumed.freeze_bn_epoch = 1, 2
    resumed.load_state_dict(model.state_dict())
    resumed.train()
    ranges, means = activation_ranges(resumed), bn_means(resumed)
    resumed.train_step(batch(), OptimWrapper(torch.optim.SGD(
        resumed.parameters(), lr=0.01)))
    assert all(torch.equal(v, ranges[k])
               for k, v in activation_ranges(resumed).items())
    assert all(torch.equal(v, means[k]) for k, v in bn_means(resumed).items())
    set_epoch(0)


def test_checkpoints_of_the_wrong_kind_are_refused(qat, tmp_path):
    # a QAT checkpoint given as the float model to fine-tune
    qat_ckpt = str(tmp_path / 'qat.pth')
    torch.save(dict(state_dict=qat.state_dict()), qat_ckpt)
    with pytest.raises(CheckpointError, match='is a QAT checkpoint'):
        MODELS.build(dict(tiny_config().model, float_checkpoint=qat_ckpt))
    # a float checkpoint loaded as if it were QAT-trained
    float_state = torch.load(float_checkpoint())['state_dict']
    with pytest.raises(CheckpointError,
                       match='holds a float model, not a QAT'):
        copy.deepcopy(qat).load_state_dict(float_state)
    # the float checkpoint of another model
    other = tiny_config().model
    other.model.head.num_classes = 7
    with pytest.raises(CheckpointError, match='does not fit this model: 0 '
                       'of the model.s .* tensors missing, 2 of another '
                       'shape'):
        MODELS.build(dict(other, float_checkpoint=float_checkpoint()))
    with pytest.raises(CheckpointError, match='does not exist'):
        MODELS.build(dict(other, float_checkpoint=str(tmp_path / 'no.pth')))


def test_training_needs_float_weights_testing_does_not(qat, fresh):
    model = copy.deepcopy(fresh)
    model.train()
    with pytest.raises(ConfigError, match='algorithm.float_checkpoint'):
        model.train_step(batch(), OptimWrapper(torch.optim.SGD(
            model.parameters(), lr=0.01)))
    # a fresh model has a trained one's state layout (per-channel weight
    # ranges included), so a QAT checkpoint loads into it completely
    trained = qat.state_dict()
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in trained.items()}
    model.load_state_dict(trained)
    assert accuracy(model) == accuracy(qat)
