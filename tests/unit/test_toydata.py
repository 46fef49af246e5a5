"""Unit tests of course_utils.toydata: the generated curve and clusters of the early chapters."""

from __future__ import annotations

import pytest
import torch

from course_utils.toydata import noisy_curve, two_clusters


def test_noisy_curve_shapes_and_dtypes():
    x, y = noisy_curve(n=37)
    assert x.shape == (37, 1)
    assert y.shape == (37, 1)
    assert x.dtype == y.dtype == torch.float32


def test_noisy_curve_x_evenly_spaced_on_minus_one_one():
    x, _ = noisy_curve(n=5)
    torch.testing.assert_close(x.squeeze(1), torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0]))


@pytest.mark.parametrize("noise", [0.0, 0.2, 1.5])
def test_noisy_curve_noise_is_within_zero_and_noise(noise):
    x, y = noisy_curve(n=500, noise=noise, seed=3)
    residual = y - x.pow(2)
    assert residual.min() >= -1e-6
    assert residual.max() <= noise + 1e-6
    if noise:
        assert residual.std() > noise / 10  # it really is noisy
    else:
        torch.testing.assert_close(y, x.pow(2))


def test_noisy_curve_deterministic_by_seed():
    a = noisy_curve(seed=5)
    b = noisy_curve(seed=5)
    c = noisy_curve(seed=6)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a[0], c[0])  # same x
    assert not torch.equal(a[1], c[1])  # other noise


def test_noisy_curve_does_not_touch_the_global_rng():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    noisy_curve(seed=9)
    torch.testing.assert_close(torch.rand(3), expected)


def test_two_clusters_shapes_and_dtypes():
    x, labels = two_clusters(n_per_class=40)
    assert x.shape == (80, 2)
    assert x.dtype == torch.float32
    assert labels.shape == (80,)
    assert labels.dtype == torch.int64


def test_two_clusters_labels_balanced_and_ordered():
    _, labels = two_clusters(n_per_class=25)
    assert torch.bincount(labels).tolist() == [25, 25]
    assert labels[:25].eq(0).all()
    assert labels[25:].eq(1).all()


def test_two_clusters_centres_and_spread():
    x, labels = two_clusters(n_per_class=2000, spread=0.5, seed=1)
    torch.testing.assert_close(x[labels == 0].mean(0), torch.tensor([2.0, 2.0]), atol=0.05, rtol=0)
    torch.testing.assert_close(
        x[labels == 1].mean(0), torch.tensor([-2.0, -2.0]), atol=0.05, rtol=0
    )
    torch.testing.assert_close(x[labels == 0].std(0), torch.tensor([0.5, 0.5]), atol=0.05, rtol=0)


def test_two_clusters_are_separable_by_the_diagonal():
    x, labels = two_clusters(n_per_class=200, spread=0.5, seed=2)
    predicted = (x.sum(dim=1) < 0).long()
    assert (predicted == labels).float().mean() > 0.99


def test_two_clusters_deterministic_by_seed():
    a = two_clusters(seed=3)
    b = two_clusters(seed=3)
    c = two_clusters(seed=4)
    torch.testing.assert_close(a, b)
    assert not torch.equal(a[0], c[0])
    torch.testing.assert_close(a[1], c[1])  # labels do not depend on the seed
