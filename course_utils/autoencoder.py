"""Morvan's MNIST autoencoder (his 404), built by hand in Chapter 10, and PCA to measure it by.

:class:`AutoEncoder` squeezes a flattened digit (784 pixels in [0, 1]) through a code of
``code_size`` numbers and back; :func:`train_epoch` trains it with the image as its own target;
:func:`reconstruction_mse` and :func:`pca_mse` give the per-pixel test error of the autoencoder
and of PCA with the same number of components. ``scripts/reproduce.py`` uses them; Chapter 10
checks that they match the ones it writes out.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "BATCH_SIZE",
    "LEARNING_RATE",
    "EPOCHS",
    "AutoEncoder",
    "train_epoch",
    "reconstruction_mse",
    "pca_mse",
]

BATCH_SIZE = 64  #: Morvan's 404: batches of 64,
LEARNING_RATE = 0.005  #: Adam's learning rate,
EPOCHS = 10  #: and 10 epochs
PIXELS = 28 * 28


class AutoEncoder(nn.Module):
    """Encoder 784 → 128 → 64 → 12 → code (Tanh between), decoder the mirror image, Sigmoid last.

    ``forward`` returns ``(code, reconstruction)``, as Morvan's did.
    """

    def __init__(self, code_size: int = 3) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(PIXELS, 128),  # (N,784) -> (N,128)
            nn.Tanh(),
            nn.Linear(128, 64),  # (N,128) -> (N,64)
            nn.Tanh(),
            nn.Linear(64, 12),  # (N,64) -> (N,12)
            nn.Tanh(),
            nn.Linear(12, code_size),  # (N,12) -> (N,code_size): the code, no activation
        )
        self.decoder = nn.Sequential(
            nn.Linear(code_size, 12),  # (N,code_size) -> (N,12)
            nn.Tanh(),
            nn.Linear(12, 64),  # (N,12) -> (N,64)
            nn.Tanh(),
            nn.Linear(64, 128),  # (N,64) -> (N,128)
            nn.Tanh(),
            nn.Linear(128, PIXELS),  # (N,128) -> (N,784)
            nn.Sigmoid(),  # every pixel in (0, 1)
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.ndim != 2 or x.shape[1] != PIXELS:
            fix = (
                "flatten the images with `x.flatten(1)`"
                if x.ndim >= 2 and x[0].numel() == PIXELS
                else "it reads 28×28 MNIST digits, flattened"
            )
            raise ValueError(
                f"AutoEncoder expects flattened images shaped (N, {PIXELS}), "
                f"got {tuple(x.shape)}; {fix}"
            )
        code = self.encoder(x)  # (N,784) -> (N,code_size)
        return code, self.decoder(code)  # (N,code_size), (N,784)


def train_epoch(
    model: AutoEncoder,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    optimizer: torch.optim.Optimizer,
) -> float:
    """One pass over ``batches`` (their labels are ignored); the mean per-pixel training MSE."""
    model.train()
    total, seen = 0.0, 0
    for x, _ in batches:
        _, decoded = model(x)
        loss = F.mse_loss(decoded, x)  # the target is the input
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
        seen += len(x)
    return total / seen


@torch.no_grad()
def reconstruction_mse(model: AutoEncoder, x: torch.Tensor) -> float:
    """The mean squared error per pixel of the model's reconstruction of ``x`` ``(N, 784)``."""
    model.eval()
    return F.mse_loss(model(x)[1], x).item()


def pca_mse(x_train: torch.Tensor, x_test: torch.Tensor, components: int) -> float:
    """Per-pixel MSE of ``x_test`` rebuilt from its first ``components`` principal components.

    The components and the mean image come from ``x_train`` ``(N, D)`` (an SVD of the centred
    matrix), as an autoencoder's weights come from its training images.
    """
    mean = x_train.mean(0)  # (D,)
    _, _, vh = torch.linalg.svd(x_train - mean, full_matrices=False)  # (D,D)
    basis = vh[:components].T  # (D,k)
    rebuilt = (x_test - mean) @ basis @ basis.T + mean  # (N,D) -> (N,k) -> (N,D)
    return F.mse_loss(rebuilt, x_test).item()
