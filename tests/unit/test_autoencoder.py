"""Unit tests of course_utils.autoencoder: the network's shapes, its training step, and PCA."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_utils.autoencoder import AutoEncoder, pca_mse, reconstruction_mse, train_epoch
from course_utils.fastpath import TensorBatches


def test_the_code_and_the_reconstruction_have_their_shapes_and_range():
    torch.manual_seed(0)
    code, rebuilt = AutoEncoder(code_size=3)(torch.rand(5, 784))
    assert code.shape == (5, 3) and rebuilt.shape == (5, 784)
    assert ((rebuilt > 0) & (rebuilt < 1)).all()  # the Sigmoid


def test_morvans_layer_sizes():
    model = AutoEncoder(code_size=2)
    sizes = [(m.in_features, m.out_features) for m in model.modules() if hasattr(m, "in_features")]
    assert sizes == [
        (784, 128),
        (128, 64),
        (64, 12),
        (12, 2),
        (2, 12),
        (12, 64),
        (64, 128),
        (128, 784),
    ]


@pytest.mark.parametrize(
    ("shape", "fix"),
    [((5, 1, 28, 28), "x.flatten(1)"), ((5, 28, 28), "x.flatten(1)"), ((5, 100), "flattened")],
)
def test_an_unflattened_batch_is_refused_with_the_fix(shape, fix):
    with pytest.raises(ValueError, match=r"\(N, 784\)") as error:
        AutoEncoder()(torch.rand(shape))
    assert str(tuple(shape)) in str(error.value) and fix in str(error.value)


def test_train_epoch_returns_the_mean_loss_over_examples_and_learns():
    torch.manual_seed(0)
    x = torch.rand(40, 784).round()  # binary "digits"
    model = AutoEncoder()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
    before = reconstruction_mse(model, x)
    batches = TensorBatches(x, torch.zeros(40), batch_size=16)  # 16, 16 and 8 images
    losses = [train_epoch(model, batches, optimizer) for _ in range(10)]
    assert reconstruction_mse(model, x) < before and losses[-1] < losses[0]
    # the mean is per example: batches of 16, 16 and 8 weigh 2 : 2 : 1
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)
    per_batch = [F.mse_loss(model(xb)[1], xb).item() for xb, _ in batches]
    expected = (16 * per_batch[0] + 16 * per_batch[1] + 8 * per_batch[2]) / 40
    assert train_epoch(model, batches, frozen) == pytest.approx(expected, rel=1e-6)


def test_reconstruction_mse_is_the_per_pixel_error_in_eval_mode():
    torch.manual_seed(0)
    model, x = AutoEncoder(), torch.rand(6, 784)
    model.train()
    error = reconstruction_mse(model, x)
    assert not model.training
    with torch.no_grad():
        assert error == pytest.approx(((model(x)[1] - x) ** 2).mean().item())


def test_pca_is_exact_on_data_that_lies_in_as_many_dimensions():
    torch.manual_seed(0)
    basis = torch.randn(2, 10)
    x = torch.randn(50, 2) @ basis + 3.0  # a 2-D plane in 10-D, off the origin
    assert pca_mse(x, x, 2) < 1e-10
    assert pca_mse(x, x, 1) > 0.01


def test_pca_error_falls_with_more_components_and_is_zero_with_all():
    torch.manual_seed(0)
    x_train, x_test = torch.rand(200, 16), torch.rand(50, 16)
    errors = [pca_mse(x_train, x_test, k) for k in (0, 1, 4, 8, 16)]
    assert errors == sorted(errors, reverse=True) and errors[-1] < 1e-10
    # no component: every image is rebuilt as the mean training image
    assert errors[0] == pytest.approx(F.mse_loss(x_train.mean(0).expand_as(x_test), x_test).item())
