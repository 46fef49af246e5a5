"""Batch normalization (Chapter 13): Morvan's 504, a deep tanh net with and without it.

:func:`parabola` draws his data (``y = x² − 5 + N(0, 2)`` on [−7, 10]); :class:`DeepTanhNet` is
his eight tanh layers of ten units with his deliberately poor initialisation (weights N(0, 0.1),
biases −0.2), with ``BatchNorm1d(momentum=0.5)`` on the input and before every tanh when asked;
:func:`bn_experiment` trains the two side by side and records their test loss.
``scripts/reproduce.py`` uses them; Chapter 13 checks that they match the ones it writes out.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.device import seed_everything
from course_utils.fastpath import TensorBatches

__all__ = [
    "SAMPLES",
    "TEST_SAMPLES",
    "X_RANGE",
    "NOISE",
    "LAYERS",
    "WIDTH",
    "WEIGHT_STD",
    "BIAS_INIT",
    "BN_MOMENTUM",
    "LEARNING_RATE",
    "BATCH_SIZE",
    "EPOCHS",
    "parabola",
    "DeepTanhNet",
    "train_epoch",
    "test_loss",
    "bn_experiment",
]

# Morvan's 504: 2,000 training and 200 test points; 8 tanh layers of 10 units, weights N(0, 0.1)
# and biases -0.2 (a bad start on purpose); BN momentum 0.5; Adam lr 0.03; batch 64; 12 epochs.
SAMPLES = 2000
TEST_SAMPLES = 200
X_RANGE = (-7.0, 10.0)
NOISE = 2.0
LAYERS = 8
WIDTH = 10
WEIGHT_STD = 0.1
BIAS_INIT = -0.2
BN_MOMENTUM = 0.5
LEARNING_RATE = 0.03
BATCH_SIZE = 64
EPOCHS = 12


def parabola(
    points: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` evenly spaced on [−7, 10] ``(points, 1)`` and ``y = x² − 5 + 2·N(0, 1)``."""
    x = torch.linspace(*X_RANGE, points).unsqueeze(1)  # (points,) -> (points,1)
    return x, x**2 - 5 + NOISE * torch.randn(x.shape, generator=generator)


class DeepTanhNet(nn.Module):
    """Eight ``Linear(·, 10)`` + tanh layers and a ``Linear(10, 1)`` output (Morvan's 504).

    With ``batch_norm``, the input and every layer's pre-activation go through a
    ``BatchNorm1d(momentum=0.5)``. The layers sit in ``nn.ModuleList``s, so that
    ``parameters()``, ``state_dict()`` and ``.to()`` see them (a plain list would hide them).
    """

    def __init__(self, batch_norm: bool = False) -> None:
        super().__init__()
        self.batch_norm = batch_norm
        self.fcs = nn.ModuleList(
            nn.Linear(1 if i == 0 else WIDTH, WIDTH) for i in range(LAYERS)
        )  # (N,1) -> (N,10), then (N,10) -> (N,10) seven times
        self.predict = nn.Linear(WIDTH, 1)  # (N,10) -> (N,1)
        for layer in (*self.fcs, self.predict):
            nn.init.normal_(layer.weight, mean=0.0, std=WEIGHT_STD)
            nn.init.constant_(layer.bias, BIAS_INIT)
        if batch_norm:
            self.bn_input = nn.BatchNorm1d(1, momentum=BN_MOMENTUM)  # (N,1): x itself
            self.bns = nn.ModuleList(
                nn.BatchNorm1d(WIDTH, momentum=BN_MOMENTUM) for _ in range(LAYERS)
            )  # (N,10) -> (N,10), one per layer

    def trace(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """The output ``(N, 1)``, and what each layer saw: the pre-activations (the input, then
        each ``Linear``'s output, before any BN) and the activations (the input after its BN,
        then each tanh's output), as Morvan's histograms show them."""
        pre_activations = [x]
        if self.batch_norm:
            x = self.bn_input(x)
        activations = [x]
        for i, fc in enumerate(self.fcs):
            x = fc(x)
            pre_activations.append(x)
            if self.batch_norm:
                x = self.bns[i](x)
            x = torch.tanh(x)
            activations.append(x)
        return self.predict(x), pre_activations, activations

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.trace(x)[0]


def train_epoch(
    nets: Iterable[nn.Module],
    optimizers: Iterable[torch.optim.Optimizer],
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
) -> None:
    """One epoch for several nets side by side: each batch trains every net in turn (Morvan's)."""
    pairs = list(zip(nets, optimizers, strict=True))
    for net, _ in pairs:
        net.train()
    for x, y in batches:
        for net, optimizer in pairs:
            loss = F.mse_loss(net(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


@torch.no_grad()
def test_loss(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """The MSE on ``x``, ``y`` in evaluation mode (BN uses its running statistics)."""
    net.eval()
    return F.mse_loss(net(x), y).item()


def bn_experiment(seed: int, epochs: int = EPOCHS) -> tuple[list[float], list[float]]:
    """Morvan's 504 from ``seed``: the test loss of the plain net and of the BN net, untrained
    and after each epoch (``epochs + 1`` values each).

    The random draws come in Chapter 13's order: the training data, the test data, the plain
    net, the BN net; the batches are shuffled by the generator ``seed_everything(seed)`` returns.
    """
    generator = seed_everything(seed)
    (x, y), (test_x, test_y) = parabola(SAMPLES), parabola(TEST_SAMPLES)
    nets = [DeepTanhNet(batch_norm=False), DeepTanhNet(batch_norm=True)]
    optimizers = [torch.optim.Adam(net.parameters(), lr=LEARNING_RATE) for net in nets]
    batches = TensorBatches(x, y, BATCH_SIZE, shuffle=True, generator=generator)
    losses: list[list[float]] = [[test_loss(net, test_x, test_y)] for net in nets]
    for _ in range(epochs):
        train_epoch(nets, optimizers, batches)
        for net, history in zip(nets, losses, strict=True):
            history.append(test_loss(net, test_x, test_y))
    return losses[0], losses[1]
