"""Overfitting and its remedies (Chapter 12): Morvan's dropout experiment and an MNIST subset.

Morvan's 503 fits 20 noisy points of ``y = x`` with a 1-300-300-1 ReLU net, with and without
``Dropout(0.5)`` (:func:`noisy_line`, :func:`morvan_net`, :func:`fit_regression`,
:func:`dropout_experiment`). On real data, an MLP learns 1,000 MNIST digits by heart
(:func:`mnist_mlp`, :func:`fit_classifier`, :data:`REMEDIES`), and :func:`early_stopping_epoch`
picks the epoch a validation split would stop at. ``scripts/reproduce.py`` uses them; Chapter 12
checks that they match the ones it writes out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "POINTS",
    "NOISE",
    "HIDDEN",
    "DROPOUT",
    "LEARNING_RATE",
    "STEPS",
    "RECORD_EVERY",
    "SUBSET",
    "MLP_HIDDEN",
    "MNIST_BATCH_SIZE",
    "MNIST_LEARNING_RATE",
    "MOMENTUM",
    "WEIGHT_DECAY",
    "MNIST_EPOCHS",
    "MORE_DATA_EPOCHS",
    "REMEDIES",
    "Curves",
    "noisy_line",
    "morvan_net",
    "fit_regression",
    "dropout_experiment",
    "mnist_mlp",
    "mnist_optimizer",
    "accuracy_and_loss",
    "fit_classifier",
    "early_stopping_epoch",
]

# Morvan's 503: 20 training and 20 test points, y = x + 0.3·N(0, 1) on [-1, 1]; 1-300-300-1 ReLU
# nets, one with Dropout(0.5); Adam lr 0.01 for 500 full-batch steps; losses every 10 steps.
POINTS = 20
NOISE = 0.3
HIDDEN = 300
DROPOUT = 0.5
LEARNING_RATE = 0.01
STEPS = 500
RECORD_EVERY = 10
# The MNIST study: a 784-512-512-10 MLP on the first 1,000 training digits, batches of 100, SGD
# with momentum (so that weight decay is exactly an L2 penalty), 100 epochs.
SUBSET = 1000
MLP_HIDDEN = 512
MNIST_BATCH_SIZE = 100
MNIST_LEARNING_RATE = 0.05
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-3
MNIST_EPOCHS = 100
MORE_DATA_EPOCHS = 5  # the same net on all 60,000 training digits: 3,000 steps
#: The four nets of the MNIST study: (dropout probability, weight decay) of each.
REMEDIES: dict[str, tuple[float, float]] = {
    "no remedy": (0.0, 0.0),
    "dropout": (DROPOUT, 0.0),
    "weight decay": (0.0, WEIGHT_DECAY),
    "both": (DROPOUT, WEIGHT_DECAY),
}


@dataclass
class Curves:
    """Losses (or accuracies) recorded during training: ``steps[i]`` is when ``train[i]`` and
    ``test[i]`` were measured (steps or epochs done, counted from 1)."""

    steps: list[int] = field(default_factory=list)
    train: list[float] = field(default_factory=list)
    test: list[float] = field(default_factory=list)


def noisy_line(
    points: int = POINTS, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Morvan's data: ``x`` evenly spaced on [-1, 1] ``(points, 1)`` and ``y = x + 0.3·N(0, 1)``."""
    x = torch.linspace(-1, 1, points).unsqueeze(1)  # (points,) -> (points,1)
    return x, x + NOISE * torch.randn(x.shape, generator=generator)


def morvan_net(dropout: float = 0.0, hidden: int = HIDDEN) -> nn.Sequential:
    """1-300-300-1 with ReLU; with ``dropout > 0``, a ``Dropout`` after each hidden ``Linear``
    (before its ReLU, as Morvan placed it: the same as after, since ReLU(0) = 0)."""

    def dropped() -> list[nn.Module]:
        return [nn.Dropout(dropout)] if dropout else []

    return nn.Sequential(
        nn.Linear(1, hidden),  # (N,1) -> (N,300)
        *dropped(),
        nn.ReLU(),
        nn.Linear(hidden, hidden),  # (N,300) -> (N,300)
        *dropped(),
        nn.ReLU(),
        nn.Linear(hidden, 1),  # (N,300) -> (N,1)
    )


@torch.no_grad()
def _mse(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    return F.mse_loss(model(x), y).item()


def fit_regression(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    steps: int = STEPS,
    every: int = RECORD_EVERY,
) -> Curves:
    """Full-batch MSE steps on ``train``; every ``every`` steps, both losses in evaluation mode.

    The model is left in evaluation mode.
    """
    (x, y), curves = train, Curves()
    for step in range(1, steps + 1):
        model.train()
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % every == 0:
            curves.steps.append(step)
            curves.train.append(_mse(model, x, y))
            curves.test.append(_mse(model, *test))
    model.eval()
    return curves


def dropout_experiment(seed: int, steps: int = STEPS) -> tuple[Curves, Curves]:
    """Morvan's 503 from ``seed``: the plain net's curves and the dropout net's.

    The random draws come in Chapter 12's order: the training points, the test points, the plain
    net, the dropout net, then the dropout masks (the plain net draws none while training).
    """
    torch.manual_seed(seed)
    train, test = noisy_line(), noisy_line()
    plain, dropped = morvan_net(), morvan_net(DROPOUT)
    curves = [
        fit_regression(
            net, torch.optim.Adam(net.parameters(), lr=LEARNING_RATE), train, test, steps
        )
        for net in (plain, dropped)
    ]
    return curves[0], curves[1]


def mnist_mlp(dropout: float = 0.0, hidden: int = MLP_HIDDEN) -> nn.Sequential:
    """784-512-512-10 with ReLU, and ``Dropout(dropout)`` after each hidden layer when > 0."""

    def dropped() -> list[nn.Module]:
        return [nn.Dropout(dropout)] if dropout else []

    return nn.Sequential(
        nn.Linear(28 * 28, hidden),  # (N,784) -> (N,512)
        nn.ReLU(),
        *dropped(),
        nn.Linear(hidden, hidden),  # (N,512) -> (N,512)
        nn.ReLU(),
        *dropped(),
        nn.Linear(hidden, 10),  # (N,512) -> (N,10): logits
    )


def mnist_optimizer(model: nn.Module, weight_decay: float = 0.0) -> torch.optim.SGD:
    """SGD lr 0.05 with momentum 0.9, and ``weight_decay`` (an L2 penalty of wd/2·‖w‖²)."""
    return torch.optim.SGD(
        model.parameters(), lr=MNIST_LEARNING_RATE, momentum=MOMENTUM, weight_decay=weight_decay
    )


@torch.no_grad()
def accuracy_and_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of ``model`` (put in evaluation mode) on ``x``, ``y``."""
    model.eval()
    logits = model(x)
    return (logits.argmax(1) == y).float().mean().item(), F.cross_entropy(logits, y).item()


def fit_classifier(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    splits: dict[str, tuple[torch.Tensor, torch.Tensor]],
    epochs: int,
) -> dict[str, list[tuple[float, float]]]:
    """Train with cross-entropy for ``epochs``; after each, (accuracy, loss) on every split."""
    history: dict[str, list[tuple[float, float]]] = {name: [] for name in splits}
    for _ in range(epochs):
        model.train()
        for x, y in batches:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        for name, (x, y) in splits.items():
            history[name].append(accuracy_and_loss(model, x, y))
    return history


def early_stopping_epoch(validation_losses: Sequence[float], patience: int) -> int:
    """The epoch (from 1) early stopping keeps: the lowest validation loss, where the search
    stops once ``patience`` epochs in a row have not improved on it."""
    if not validation_losses:
        raise ValueError("early stopping needs at least one validation loss")
    best, waited = 0, 0
    for epoch in range(1, len(validation_losses)):
        if validation_losses[epoch] < validation_losses[best]:
            best, waited = epoch, 0
        else:
            waited += 1
            if waited == patience:
                break
    return best + 1
