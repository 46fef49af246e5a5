"""Unit tests of course_utils.batchnorm: Morvan's 504 data, his deep tanh net, the experiment."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_utils import batchnorm as bn


def test_parabola_spans_the_range_with_noise_of_sd_2():
    x, y = bn.parabola(50_000, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (50_000, 1)
    assert (x.min().item(), x.max().item()) == bn.X_RANGE
    assert (y - (x**2 - 5)).std().item() == pytest.approx(bn.NOISE, rel=0.02)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_every_layer_is_registered_and_starts_as_morvan_set_it(batch_norm):
    net = bn.DeepTanhNet(batch_norm)
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm1d)]
    assert len(linears) == bn.LAYERS + 1  # ModuleList: parameters() and state_dict() see them
    assert len(norms) == (bn.LAYERS + 1 if batch_norm else 0)
    assert all(m.momentum == bn.BN_MOMENTUM for m in norms)
    assert all((m.bias == bn.BIAS_INIT).all() for m in linears)
    weights = torch.cat([m.weight.flatten() for m in linears])
    assert weights.std().item() == pytest.approx(bn.WEIGHT_STD, rel=0.15)
    assert len(net.state_dict()) == 2 * len(linears) + 5 * len(norms)


def test_trace_returns_what_each_layer_saw():
    torch.manual_seed(0)
    net = bn.DeepTanhNet(batch_norm=True)
    x = torch.linspace(-7, 10, 32).unsqueeze(1)
    out, pre, act = net.trace(x)
    assert out.shape == (32, 1) and torch.equal(out, net(x))
    assert len(pre) == len(act) == bn.LAYERS + 1 and torch.equal(pre[0], x)
    assert act[0].mean().abs() < 1e-5  # the input after its batch norm: mean 0
    assert all(a.abs().max() <= 1 for a in act[1:])  # tanh outputs


def test_the_plain_nets_activations_shrink_and_the_bn_nets_keep_their_spread():
    torch.manual_seed(0)
    x = torch.linspace(-7, 10, 64).unsqueeze(1)
    (_, _, plain), (_, _, normed) = (bn.DeepTanhNet(b).trace(x) for b in (False, True))
    # the poor start shrinks the spread of the activations layer by layer; BN restores it
    assert plain[-1].std() < 0.25 * plain[1].std() and normed[-1].std() > 0.5


def test_bn_experiment_is_seeded_and_bn_wins_in_morvans_setting():
    plain, normed = bn.bn_experiment(0, epochs=3)
    assert len(plain) == len(normed) == 4
    assert bn.bn_experiment(0, epochs=3) == (plain, normed)
    assert normed[-1] < plain[-1]


def test_test_loss_uses_the_running_statistics():
    torch.manual_seed(0)
    net = bn.DeepTanhNet(batch_norm=True)
    x, y = bn.parabola(16)
    before = net.bn_input.running_mean.clone()
    bn.test_loss(net, x, y)
    assert torch.equal(net.bn_input.running_mean, before) and not net.training
