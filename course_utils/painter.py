"""Morvan's painter GAN (his 405), built by hand in Chapter 11, and the test of whether it worked.

The artist paints parabolas ``y = a·x² + (a − 1)`` at 15 points of [−1, 1], ``a ~ U(1, 2)``; the
generator G turns 5 random numbers into 15 points, the discriminator D scores 15 points. The step
order is the chapter's fix of Morvan's (G first, then D on ``fake.detach()``). :func:`fit_a` fits
the artist's ``a`` to any curve by least squares, and :func:`a_stats` compares the fitted values
of G's curves with U(1, 2). ``scripts/reproduce.py`` trains it over several seeds with
:func:`train_painter`; Chapter 11 checks that these functions match the ones it writes out.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from course_utils.device import seed_everything

__all__ = [
    "BATCH_SIZE",
    "N_IDEAS",
    "ART_COMPONENTS",
    "LEARNING_RATE",
    "STEPS",
    "PAINT_POINTS",
    "AStats",
    "artist_works",
    "make_painter_gan",
    "d_loss_fn",
    "g_loss_fn",
    "painter_step",
    "fit_a",
    "a_stats",
    "train_painter",
]

BATCH_SIZE = 64  #: real and generated paintings per step (Morvan's)
N_IDEAS = 5  #: the length of G's noise vector
ART_COMPONENTS = 15  #: the points of one painting
LEARNING_RATE = 1e-4  #: Adam's, for G and for D (Morvan's)
STEPS = 10_000  #: Morvan's number of training steps
PAINT_POINTS = torch.linspace(-1, 1, ART_COMPONENTS)  #: (15,): where the curves are evaluated
_U = PAINT_POINTS**2 + 1  # (15,): a painting is a·U − 1


def artist_works(n: int = BATCH_SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` real paintings ``(n, 15)`` and their parameters ``a`` ``(n, 1)``, ``a ~ U(1, 2)``."""
    a = 1 + torch.rand(n, 1)  # (n,1)
    return a * PAINT_POINTS**2 + (a - 1), a  # (n,1)*(15,) -> (n,15)


def make_painter_gan() -> tuple[nn.Sequential, nn.Sequential]:
    """Morvan's G (5 → 128 ReLU → 15) and D (15 → 128 ReLU → 1 → Sigmoid), freshly initialised."""
    generator = nn.Sequential(
        nn.Linear(N_IDEAS, 128),  # (N,5) -> (N,128)
        nn.ReLU(),
        nn.Linear(128, ART_COMPONENTS),  # (N,128) -> (N,15): a painting
    )
    discriminator = nn.Sequential(
        nn.Linear(ART_COMPONENTS, 128),  # (N,15) -> (N,128)
        nn.ReLU(),
        nn.Linear(128, 1),  # (N,128) -> (N,1): a logit
        nn.Sigmoid(),  # (N,1): probability "real"
    )
    return generator, discriminator


def d_loss_fn(prob_real: torch.Tensor, prob_fake: torch.Tensor) -> torch.Tensor:
    """D's loss, ``−mean(log D(real) + log(1 − D(fake)))``: binary cross-entropy, labels 1 and 0."""
    return -torch.mean(torch.log(prob_real) + torch.log(1 - prob_fake))


def g_loss_fn(prob_fake: torch.Tensor) -> torch.Tensor:
    """Morvan's (saturating) G loss ``mean(log(1 − D(G(z))))``, to be minimised."""
    return torch.mean(torch.log(1 - prob_fake))


def painter_step(
    generator: nn.Module,
    discriminator: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step, G first then D on detached fakes; returns mean D(real) and D's loss (detached)."""
    fake = generator(torch.randn(len(real), N_IDEAS))  # (N,5) -> (N,15)
    g_loss = g_loss_fn(discriminator(fake))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    prob_real = discriminator(real)  # (N,15) -> (N,1)
    d_loss = d_loss_fn(prob_real, discriminator(fake.detach()))  # no gradient reaches G
    opt_d.zero_grad()  # also drops what g_loss.backward() left in D
    d_loss.backward()
    opt_d.step()
    return prob_real.mean().detach(), d_loss.detach()


def fit_a(curves: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-squares ``a`` of every curve ``(N, 15)`` -> ``(N,)``, and the RMS residual ``(N,)``.

    A painting is ``a·u − 1`` with ``u = x² + 1``, so ``â = Σ u·(y + 1) / Σ u²``.
    """
    if curves.ndim != 2 or curves.shape[1] != ART_COMPONENTS:
        raise ValueError(
            f"fit_a expects curves shaped (N, {ART_COMPONENTS}), got {tuple(curves.shape)}"
        )
    a = (curves + 1) @ _U / (_U @ _U)  # (N,15) @ (15,) -> (N,)
    residual = (curves - (a[:, None] * _U - 1)).pow(2).mean(1).sqrt()  # (N,)
    return a, residual


@dataclass(frozen=True)
class AStats:
    """The fitted ``a`` of generated curves against U(1, 2) (mean 1.5, sd 0.289, all in [1, 2])."""

    mean: float
    sd: float
    inside: float  #: the share of curves with 1 ≤ a ≤ 2
    residual: float  #: the mean RMS distance of a curve from the artist's family


@torch.no_grad()
def a_stats(generator: nn.Module, n: int = 2000) -> AStats:
    """Fit ``a`` to ``n`` paintings by ``generator`` (noise from torch's global generator)."""
    a, residual = fit_a(generator(torch.randn(n, N_IDEAS)))
    return AStats(
        mean=a.mean().item(),
        sd=a.std().item(),
        inside=((a >= 1) & (a <= 2)).float().mean().item(),
        residual=residual.mean().item(),
    )


def train_painter(seed: int, steps: int = STEPS) -> tuple[nn.Module, torch.Tensor]:
    """Train the painter GAN from ``seed`` as Chapter 11 does; return G and a ``(steps, 2)`` log.

    The log holds, per step, D's mean output on the real batch and D's loss.
    """
    seed_everything(seed)
    generator, discriminator = make_painter_gan()
    opt_g = torch.optim.Adam(generator.parameters(), lr=LEARNING_RATE)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=LEARNING_RATE)
    log = torch.zeros(steps, 2)
    for step in range(steps):
        real, _ = artist_works()
        log[step, 0], log[step, 1] = painter_step(generator, discriminator, opt_g, opt_d, real)
    return generator, log
