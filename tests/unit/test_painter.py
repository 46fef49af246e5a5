"""Unit tests of course_utils.painter: the artist, the two networks, the step, and the fit of a."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import painter


def family(a: torch.Tensor) -> torch.Tensor:
    """Curves of the artist's family for the given a's: (N,) -> (N,15)."""
    return a[:, None] * painter.PAINT_POINTS**2 + (a[:, None] - 1)


def test_the_artist_paints_parabolas_with_a_between_1_and_2():
    torch.manual_seed(0)
    curves, a = painter.artist_works(500)
    assert curves.shape == (500, 15) and a.shape == (500, 1)
    assert a.min() >= 1 and a.max() <= 2
    assert torch.allclose(curves, family(a[:, 0]))


def test_the_networks_map_ideas_to_paintings_to_a_probability():
    torch.manual_seed(0)
    generator, discriminator = painter.make_painter_gan()
    fake = generator(torch.randn(7, painter.N_IDEAS))
    prob = discriminator(fake)
    assert fake.shape == (7, 15) and prob.shape == (7, 1)
    assert ((prob > 0) & (prob < 1)).all()


def test_the_losses_are_the_binary_cross_entropies():
    prob_real, prob_fake = torch.tensor([[0.9], [0.6]]), torch.tensor([[0.2], [0.3]])
    bce = F.binary_cross_entropy(prob_real, torch.ones(2, 1)) + F.binary_cross_entropy(
        prob_fake, torch.zeros(2, 1)
    )
    assert painter.d_loss_fn(prob_real, prob_fake).item() == pytest.approx(bce.item())
    expected = (math.log(0.8) + math.log(0.7)) / 2
    assert painter.g_loss_fn(prob_fake).item() == pytest.approx(expected)


def test_a_step_updates_both_networks_and_gives_d_only_its_own_gradient():
    torch.manual_seed(0)
    generator, discriminator = painter.make_painter_gan()
    g_before, d_before = copy.deepcopy(generator), copy.deepcopy(discriminator)
    opt_g = torch.optim.SGD(generator.parameters(), lr=0.1)
    opt_d = torch.optim.SGD(discriminator.parameters(), lr=0.1)
    real, _ = painter.artist_works()
    state = torch.get_rng_state()
    d_real, d_loss = painter.painter_step(generator, discriminator, opt_g, opt_d, real)
    assert not d_real.requires_grad and 0 < d_real.item() < 1 and d_loss.item() > 0
    moved = [
        not torch.equal(a, b)
        for a, b in zip(g_before.parameters(), generator.parameters(), strict=True)
    ]
    assert all(moved)
    # D's update is the gradient of D's loss alone, on the fakes G painted before its own step:
    # G's loss, which also passes through D, must have left nothing in D's gradients.
    torch.set_rng_state(state)
    fakes = g_before(torch.randn(len(real), painter.N_IDEAS))  # the step's noise, G before
    loss = painter.d_loss_fn(d_before(real), d_before(fakes.detach()))
    grads = torch.autograd.grad(loss, list(d_before.parameters()))
    assert d_loss.item() == pytest.approx(loss.item())
    for before, after, grad in zip(
        d_before.parameters(), discriminator.parameters(), grads, strict=True
    ):
        assert torch.allclose(after, before - 0.1 * grad, atol=1e-6)


def test_fit_a_gives_back_the_artists_a_with_no_residual():
    a = torch.tensor([1.0, 1.25, 1.5, 2.0, 3.0])
    fitted, residual = painter.fit_a(family(a))
    assert torch.allclose(fitted, a, atol=1e-6) and residual.max() < 1e-6


def test_fit_a_measures_how_far_a_curve_is_from_the_family():
    flat = torch.zeros(1, 15)  # y = 0: not a parabola of the family
    fitted, residual = painter.fit_a(flat)
    u = painter.PAINT_POINTS**2 + 1
    assert fitted.item() == pytest.approx((u.sum() / (u @ u)).item())  # least squares of 1 = a·u
    assert residual.item() == pytest.approx((fitted * u - 1).pow(2).mean().sqrt().item())
    assert residual.item() > 0.05


def test_fit_a_refuses_curves_of_another_length():
    with pytest.raises(ValueError, match=r"\(N, 15\), got \(3, 14\)"):
        painter.fit_a(torch.zeros(3, 14))


class OneCurve(nn.Module):
    """A collapsed generator: the painting with a = 1.5 for every noise vector."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return family(torch.full((len(z),), 1.5))


class TheArtist(nn.Module):
    """A perfect generator: a ~ U(1, 2) from the noise (a normal's CDF is uniform)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return family(1 + torch.special.ndtr(z[:, 0]))


def test_a_stats_sees_a_collapse_in_the_sd_and_a_good_painter_in_all():
    torch.manual_seed(0)
    collapsed = painter.a_stats(OneCurve(), n=500)
    assert collapsed.mean == pytest.approx(1.5) and collapsed.sd < 1e-5
    assert collapsed.inside == 1.0 and collapsed.residual < 1e-6
    good = painter.a_stats(TheArtist(), n=20_000)
    assert good.mean == pytest.approx(1.5, abs=0.01) and good.sd == pytest.approx(
        12**-0.5, abs=0.01
    )
    assert good.inside == 1.0


def test_train_painter_is_seeded_and_logs_every_step():
    g1, log1 = painter.train_painter(seed=3, steps=20)
    g2, log2 = painter.train_painter(seed=3, steps=20)
    g3, _ = painter.train_painter(seed=4, steps=20)
    assert log1.shape == (20, 2) and torch.equal(log1, log2)
    assert all(map(torch.equal, g1.parameters(), g2.parameters()))
    assert not torch.equal(next(g1.parameters()), next(g3.parameters()))
    assert ((log1[:, 0] > 0) & (log1[:, 0] < 1)).all() and (log1[:, 1] > 0).all()
