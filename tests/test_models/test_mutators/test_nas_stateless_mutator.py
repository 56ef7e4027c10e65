import random

import pytest
import torch.nn as nn

from gml.models.backbones.shufflenet_v2_oneshot import ShuffleNetV2_OneShot
from gml.models.mutators import StatelessMutator
from gml.registry import MODELS
from gml.structures import SubnetError


def prepared():
    net = ShuffleNetV2_OneShot(widen_factor=0.125, stem_channels=8,
                               last_channels=16)
    mutator = StatelessMutator()
    mutator.prepare_from_supernet(net)
    return net, mutator


def test_registered_under_both_names():
    assert MODELS.get('gml.StatelessMutator') is StatelessMutator
    assert MODELS.get('gml.StateslessMutator') is StatelessMutator


def test_search_space_enumeration():
    _, mutator = prepared()
    space = mutator.search_space
    assert list(space)[:2] == ['layers.0.0', 'layers.0.1']
    assert list(space)[-1] == 'layers.3.3' and len(space) == 20
    assert mutator.num_subnets == 4 ** 20
    assert mutator.default_choices() == {n: 'shuffle_3x3' for n in space}


def test_sample_set_get():
    _, mutator = prepared()
    a = mutator.sample_choices(random.Random(3))
    assert a == mutator.sample_choices(random.Random(3))
    assert a != mutator.sample_choices(random.Random(4))
    mutator.set_choices(a)
    assert mutator.current_choices == a
    wrong = dict(a, **{'layers.2.5': 'shuffle_9x9'})
    with pytest.raises(SubnetError, match=r"'layers.2.5'.*shuffle_9x9.*"
                       r"allowed choices: \['shuffle_3x3'"):
        mutator.set_choices(wrong)


def test_a_model_without_mutables_is_refused():
    with pytest.raises(ValueError, match='no mutable layer'):
        StatelessMutator().prepare_from_supernet(nn.Linear(2, 2))
