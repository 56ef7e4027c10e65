"""The morphism transforms preserve the function of conv, linear and
residual nets (eval mode), fail clearly where they do not apply, and the
transformed nets train."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from gml.models.task_modules.morphism import (MorphismError, deepen, net2deeper,
                                 net2wider, r2deeper, r2wider, widen,
                                 widen_kernel)

ATOL = 1e-5


def _randomize_bn(model):
    """Non-trivial BN statistics and affine weights (fresh BNs are almost
    the identity and would hide mistakes)."""
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) * 2 - 1)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=g) - 0.5)
    return model.eval()


class ConvNet(nn.Module):
    """Conv, BN, a depthwise conv, a concatenation, pooling, a flatten by
    view and two Linears."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.b1 = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.b2 = nn.BatchNorm2d(8)
        self.c3 = nn.Conv2d(16, 6, 1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(6 * 4 * 4, 20)
        self.fc2 = nn.Linear(20, 5)

    def forward(self, x):
        y = self.relu(self.b1(self.c1(x)))
        z = self.b2(self.dw(y))
        y = self.pool(F.relu(self.c3(torch.cat([z, y], 1))))
        y = y.view(y.size(0), -1)
        return self.fc2(torch.relu(self.fc1(y)))


class MLP(nn.Module):

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16),
                                 nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 12),
                                 nn.ReLU(), nn.Linear(12, 3))

    def forward(self, x):
        return self.net(x)


class Basic(nn.Module):

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + x)  # relu runs twice


class ResNet(nn.Module):

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1),
                                  nn.BatchNorm2d(8), nn.ReLU())
        self.layer = nn.Sequential(Basic(8), Basic(8))
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        x = self.layer(self.stem(x))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


CONV_IN, MLP_IN = torch.randn(6, 3, 8, 8), torch.randn(6, 10)
CASES = [
    # (net, input, layer to widen, new width, net2deeper after, r2deeper
    # after)
    (ConvNet, CONV_IN, 'c1', 13, 'relu', 'b2'),
    (ConvNet, CONV_IN, 'c3', 9, 'pool', 'c3'),
    (ConvNet, CONV_IN, 'fc1', 31, 'pool', 'fc1'),
    (MLP, MLP_IN, 'net.0', 21, 'net.2', 'net.1'),
    (MLP, MLP_IN, 'net.4', 17, 'net.5', 'net.4'),
    (ResNet, CONV_IN, 'layer.0.conv1', 12, 'layer.0', 'layer.0.bn2'),
    (ResNet, CONV_IN, 'layer.1.conv1', 11, 'layer', 'stem'),
    # across the residual sums: the stem and both blocks' conv2 together
    (ResNet, CONV_IN, 'layer.0.conv2', 12, 'layer.0', 'layer.0.bn2'),
]


@pytest.mark.parametrize('net,x,layer,width,after,r2_after', CASES)
def test_transforms_preserve_the_function(net, x, layer, width, after,
                                          r2_after):
    torch.manual_seed(0)
    model = _randomize_bn(net())
    y = model(x)
    for fn in (net2wider, r2wider):
        child = fn(model, layer, width, seed=3).eval()
        assert child.get_submodule(layer).weight.shape[0] == width
        assert torch.allclose(child(x), y, atol=ATOL), fn.__name__
    for fn, where in ((net2deeper, after), (r2deeper, r2_after)):
        child = fn(model, where, seed=3).eval()
        assert isinstance(child.get_submodule(where), nn.Sequential)
        assert sum(p.numel() for p in child.parameters()) > sum(
            p.numel() for p in model.parameters())
        assert torch.allclose(child(x), y, atol=ATOL), fn.__name__
    # the parent is untouched
    assert torch.equal(model(x), y)


def test_random_init_changes_the_function_and_noise_keeps_its_tolerance():
    torch.manual_seed(0)
    model = _randomize_bn(ConvNet())
    x = CONV_IN
    y = model(x)
    scale = y.abs().max()
    assert (widen(model, 'c1', 16, 'random', seed=0)(x) - y).abs().max() \
        > 1e-3 * scale
    assert (deepen(model, 'relu', 'random', seed=0).eval()(x)
            - y).abs().max() > 1e-3 * scale
    noise = 1e-2
    err = (net2wider(model, 'c1', 16, noise=noise, seed=0)(x)
           - y).abs().max()
    assert 0 < err < 10 * noise * scale
    err = (net2deeper(model, 'relu', noise=noise, seed=0).eval()(x)
           - y).abs().max()
    assert 0 < err < 10 * noise * scale
    # an exact symmetry breaking: random shares of the outgoing weights
    child = net2wider(model, 'c1', 16, split='random', seed=0)
    assert torch.allclose(child(x), y, atol=ATOL)


def test_widen_kernel_pads_with_zeros():
    model = _randomize_bn(ConvNet())
    child = widen_kernel(model, 'c1', 5)
    w = child.c1.weight
    assert w.shape[-2:] == (5, 5) and child.c1.padding == (2, 2)
    assert torch.equal(w[..., 1:4, 1:4], model.c1.weight)
    assert torch.allclose(child(CONV_IN), model(CONV_IN), atol=ATOL)
    with pytest.raises(MorphismError, match="cannot pad a"):
        widen_kernel(model, 'c1', 2)


@pytest.mark.parametrize('call,match', [
    (lambda m: r2wider(m, 'head', 6), "'head'.*reach the model output"),
    (lambda m: net2wider(m, 'stem.1', 12),
     "'stem.1' is a BatchNorm2d; only Linear and Conv"),
    (lambda m: net2wider(m, 'nope', 12), "has no module named 'nope'"),
    (lambda m: net2wider(m, 'layer.0.conv1', 8), 'must be larger'),
    (lambda m: net2deeper(m, 'stem.0'),
     "output of 'stem.0' does not come from a ReLU"),
    (lambda m: net2deeper(m, 'layer.0.relu'),
     "'layer.0.relu' produces 2 outputs"),
])
def test_errors_name_the_layer(call, match):
    with pytest.raises(MorphismError, match=match):
        call(ResNet())


def test_untraceable_model_is_a_clear_error():

    class Branchy(nn.Module):

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.out = nn.Linear(4, 2)

        def forward(self, x):
            if x.sum() > 0:  # data-dependent control flow
                x = self.fc(x)
            return self.out(x)

    with pytest.raises(MorphismError, match='torch.fx cannot trace Branchy'):
        net2wider(Branchy(), 'fc', 8)


def _train(model, x, target, steps=30, lr=0.05):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    model.train()
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(x), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_transformed_nets_train_and_new_units_learn():
    torch.manual_seed(0)
    x, target = torch.randn(32, 3, 8, 8), torch.randint(0, 4, (32, ))
    parent = ResNet()
    _train(parent, x, target, steps=5)
    for fn, arg in ((net2wider, 'layer.0.conv1'), (r2wider, 'layer.0.conv1'),
                    (net2deeper, 'layer.0'), (r2deeper, 'layer.1')):
        kwargs = {'split': 'random'} if fn is net2wider else {}
        extra = (12, ) if 'wider' in fn.__name__ else ()
        child = fn(parent, arg, *extra, seed=0, **kwargs)
        before = {k: v.clone() for k, v in child.state_dict().items()}
        losses = _train(child, x, target)
        assert losses[-1] < 0.5 * losses[0], (fn.__name__, losses)
        if 'wider' in fn.__name__:
            w = child.layer[0].conv1.weight
            # the new units (8..11) changed and are no longer copies
            assert not torch.equal(w[8:], before['layer.0.conv1.weight'][8:])
            assert len({tuple(r.flatten().tolist()) for r in w}) == 12
        else:
            new = [k for k in before if f'{arg}.1.' in k and 'weight' in k]
            assert new and all(not torch.equal(child.state_dict()[k],
                                               before[k]) for k in new)


def test_equal_split_copies_stay_identical():
    """Net2Net's pitfall, shown: with an equal split and no noise a unit
    and its copy get the same gradients and never become different."""
    torch.manual_seed(0)
    x, target = torch.randn(32, 10), torch.randint(0, 3, (32, ))
    child = net2wider(MLP(), 'net.0', 17, seed=0)
    child.net[3].p = 0.0  # dropout masks would break the symmetry
    src = int(torch.nonzero(
        (child.net[0].weight[:16] == child.net[0].weight[16]).all(1))[0])
    _train(child, x, target, steps=10)
    w = child.net[0].weight
    assert torch.allclose(w[16], w[src])


def test_widening_across_residual_sums_widens_every_branch():
    """Widening one branch of a residual sum widens all the layers whose
    outputs meet in the stream (the stem and every block's last conv), and
    everything that reads the stream; the function is unchanged."""
    torch.manual_seed(0)
    model = _randomize_bn(ResNet())
    y = model(CONV_IN)
    for method in (net2wider, r2wider):
        child = method(model, 'layer.1.conv2', 14, seed=1).eval()
        for name in ('stem.0', 'layer.0.conv2', 'layer.1.conv2'):
            assert child.get_submodule(name).out_channels == 14, name
        for name in ('stem.1', 'layer.0.bn2', 'layer.1.bn2'):
            assert child.get_submodule(name).num_features == 14, name
        for name in ('layer.0.conv1', 'layer.1.conv1'):
            assert child.get_submodule(name).in_channels == 14, name
        # inside the blocks the widths are their own
        assert child.get_submodule('layer.0.conv1').out_channels == 8
        assert child.head.in_features == 14
        assert torch.allclose(child(CONV_IN), y, atol=ATOL)


def test_torchvision_resnet18_widens_a_stage_through_its_sums():
    from torchvision.models import resnet18
    torch.manual_seed(0)
    model = _randomize_bn(resnet18(num_classes=10))
    x = torch.randn(2, 3, 32, 32)
    y = model(x)
    child = net2wider(model, 'layer1.1.conv2', 80, seed=0).eval()
    # the stage-1 stream: stem conv, both blocks' conv2; stage 2 reads it
    for name in ('conv1', 'layer1.0.conv2', 'layer1.1.conv2'):
        assert child.get_submodule(name).out_channels == 80, name
    for name in ('layer2.0.conv1', 'layer2.0.downsample.0'):
        assert child.get_submodule(name).in_channels == 80, name
    assert child.get_submodule('layer2.0.conv2').out_channels == 128
    assert torch.allclose(child(x), y, atol=1e-4)


def test_gating_product_and_input_sums_are_refused():

    class Gate(nn.Module):

        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(3, 4, 1)
            self.b = nn.Conv2d(3, 4, 1)
            self.out = nn.Conv2d(4, 2, 1)

        def forward(self, x):
            return self.out(self.a(x) * torch.sigmoid(self.b(x)))

    class InputSum(nn.Module):

        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(3, 3, 1)
            self.out = nn.Conv2d(3, 2, 1)

        def forward(self, x):
            return self.out(self.a(x) + x)

    with pytest.raises(MorphismError, match="cannot widen 'a'.*gating"):
        net2wider(Gate(), 'a', 6)
    with pytest.raises(MorphismError,
                       match="adds its units to a tensor from the model "
                       "input"):
        net2wider(InputSum(), 'a', 6)
