"""Unit tests of course_utils.regularization: Morvan's dropout nets, the MNIST MLP, early stop."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_utils import regularization as reg
from course_utils.fastpath import TensorBatches


def test_noisy_line_is_x_plus_noise_of_sd_0_3():
    x, y = reg.noisy_line(20_000, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (20_000, 1)
    assert x.min() == -1 and x.max() == 1
    assert (y - x).std().item() == pytest.approx(reg.NOISE, rel=0.03)


def test_morvans_nets_differ_only_in_their_dropout_layers():
    plain, dropped = reg.morvan_net(), reg.morvan_net(0.5)
    assert not any(isinstance(m, nn.Dropout) for m in plain)
    assert [m.p for m in dropped if isinstance(m, nn.Dropout)] == [0.5, 0.5]
    assert [type(m) for m in dropped if not isinstance(m, nn.Dropout)] == [type(m) for m in plain]
    shapes = [tuple(p.shape) for p in plain.parameters()]
    assert shapes == [(300, 1), (300,), (300, 300), (300,), (1, 300), (1,)]


def test_dropout_is_random_in_training_mode_and_the_identity_in_eval_mode():
    torch.manual_seed(0)
    net, x = reg.morvan_net(0.5), torch.linspace(-1, 1, 8).unsqueeze(1)
    net.train()
    assert not torch.equal(net(x), net(x))
    net.eval()
    assert torch.equal(net(x), net(x))


def test_fit_regression_records_every_tenth_step_in_eval_mode_and_learns():
    torch.manual_seed(0)
    train, test = reg.noisy_line(), reg.noisy_line()
    net = reg.morvan_net(0.5)
    curves = reg.fit_regression(net, torch.optim.Adam(net.parameters(), lr=0.01), train, test, 40)
    assert curves.steps == [10, 20, 30, 40]
    assert curves.train[-1] < curves.train[0] and not net.training
    with torch.no_grad():  # the last point is the eval-mode loss after the last step
        assert curves.test[-1] == pytest.approx(torch.mean((net(test[0]) - test[1]) ** 2).item())


def test_dropout_experiment_is_seeded_and_the_plain_net_fits_its_points_more_closely():
    plain, dropped = reg.dropout_experiment(0, steps=200)
    again, _ = reg.dropout_experiment(0, steps=200)
    assert plain.test == again.test
    assert plain.train[-1] < dropped.train[-1]  # dropout keeps it from memorising the noise


def test_the_mnist_mlp_has_dropout_after_each_hidden_relu():
    layers = list(reg.mnist_mlp(0.5))
    kinds = [type(m).__name__ for m in layers]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert reg.mnist_mlp()(torch.zeros(3, 784)).shape == (3, 10)


def test_mnist_optimizer_is_sgd_with_momentum_and_the_given_weight_decay():
    optimizer = reg.mnist_optimizer(reg.mnist_mlp(), weight_decay=reg.WEIGHT_DECAY)
    group = optimizer.param_groups[0]
    assert isinstance(optimizer, torch.optim.SGD)
    assert (group["lr"], group["momentum"], group["weight_decay"]) == (0.05, 0.9, 5e-3)


def test_weight_decay_in_sgd_is_the_gradient_of_an_l2_penalty():
    torch.manual_seed(0)
    w = torch.randn(5, requires_grad=True)
    decayed = torch.optim.SGD([w], lr=0.1, weight_decay=0.01)
    start = w.detach().clone()
    (w.sum()).backward()
    decayed.step()
    # the gradient of sum(w) + 0.01/2 * |w|^2 is 1 + 0.01 w
    assert torch.allclose(w.detach(), start - 0.1 * (1 + 0.01 * start))


def test_fit_classifier_records_accuracy_and_loss_per_split_and_epoch():
    torch.manual_seed(0)
    x, y = torch.randn(64, 784), torch.randint(0, 10, (64,))
    model = reg.mnist_mlp()
    batches = TensorBatches(x, y, 16, True, torch.Generator().manual_seed(0))
    history = reg.fit_classifier(model, reg.mnist_optimizer(model), batches, {"train": (x, y)}, 3)
    assert list(history) == ["train"] and len(history["train"]) == 3
    accuracy, loss = history["train"][-1]
    assert (accuracy, loss) == reg.accuracy_and_loss(model, x, y)
    assert history["train"][-1][1] < history["train"][0][1]


@pytest.mark.parametrize(
    ("losses", "patience", "epoch"),
    [
        ([3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 0.5], 2, 3),  # stopped before the late 0.5
        ([3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 0.5], 5, 7),  # patient enough to reach it
        ([1.0, 1.0, 1.0], 1, 1),  # a tie is no improvement
        ([2.0], 3, 1),
    ],
)
def test_early_stopping_keeps_the_best_epoch_seen_within_its_patience(losses, patience, epoch):
    assert reg.early_stopping_epoch(losses, patience) == epoch


def test_early_stopping_needs_a_loss():
    with pytest.raises(ValueError, match="at least one"):
        reg.early_stopping_epoch([], 3)
