"""The small generated data sets of the early chapters: a noisy curve and two clusters.

Chapter 04 fits and classifies them (the toy problems of MorvanZhou/PyTorch-Tutorial's
``301_regression.py`` and ``302_classification.py``); Chapter 06 reuses them to compare optimizers.
"""

from __future__ import annotations

import torch

__all__ = ["noisy_curve", "two_clusters"]


def noisy_curve(
    n: int = 100, noise: float = 0.2, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points ``(x, x² + noise)`` for x evenly spaced in [-1, 1], each of shape (n, 1)."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.linspace(-1, 1, n).unsqueeze(1)
    y = x.pow(2) + noise * torch.rand(x.shape, generator=generator)
    return x, y


def two_clusters(
    n_per_class: int = 100, spread: float = 1.0, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two Gaussian clouds around (2, 2) and (-2, -2): features (2n, 2) float, labels (2n,) long."""
    generator = torch.Generator().manual_seed(seed)
    centre = torch.full((n_per_class, 2), 2.0)
    x0 = torch.normal(centre, spread, generator=generator)
    x1 = torch.normal(-centre, spread, generator=generator)
    labels = torch.cat([torch.zeros(n_per_class), torch.ones(n_per_class)]).long()
    return torch.cat([x0, x1]), labels
