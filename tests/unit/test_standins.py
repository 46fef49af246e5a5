"""Unit tests of course_utils.standins: the offline MNIST and CIFAR-10 stand-ins."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_digits
from torchvision.transforms.functional import pil_to_tensor

from course_utils.datasets import CIFAR10_CLASSES, MNIST_CLASSES, ArrayImageDataset
from course_utils.standins import cifar10_standin, mnist_standin


@pytest.fixture(scope="module")
def mnist_train():
    return mnist_standin(train=True)


@pytest.fixture(scope="module")
def mnist_test():
    return mnist_standin(train=False)


@pytest.fixture(scope="module")
def cifar_train():
    return cifar10_standin(train=True)


@pytest.fixture(scope="module")
def cifar_test():
    return cifar10_standin(train=False)


def test_mnist_classes_are_torchvisions():
    from torchvision.datasets import MNIST

    assert MNIST.classes == MNIST_CLASSES


@pytest.mark.parametrize(("split", "count"), [("mnist_train", 1437), ("mnist_test", 360)])
def test_mnist_standin_shapes(request, split, count):
    ds = request.getfixturevalue(split)
    assert isinstance(ds, ArrayImageDataset)
    assert len(ds) == count
    assert ds.data.shape == (count, 28, 28)
    assert ds.data.dtype == np.uint8
    assert ds.classes == MNIST_CLASSES
    assert sorted(set(ds.targets)) == list(range(10))
    image, target = ds[0]
    assert isinstance(image, Image.Image)
    assert image.mode == "L"
    assert image.size == (28, 28)
    assert target == ds.targets[0]


def test_mnist_standin_looks_like_mnist(mnist_train):
    data = mnist_train.data
    # a 20x20 digit padded by 4 black pixels on each side, full 0..255 range
    assert data[:, :4].max() == 0
    assert data[:, -4:].max() == 0
    assert data[:, :, :4].max() == 0
    assert data[:, :, -4:].max() == 0
    assert data.max() > 200
    assert (data[:, 4:24, 4:24].reshape(len(data), -1).max(axis=1) > 100).all()  # no blank image


def test_mnist_standin_splits_are_scikit_learns_digits(mnist_train, mnist_test):
    digits = load_digits()
    test_rows = np.arange(len(digits.target)) % 5 == 0
    assert mnist_test.targets == digits.target[test_rows].tolist()
    assert mnist_train.targets == digits.target[~test_rows].tolist()


def test_mnist_standin_is_deterministic(mnist_train):
    again = mnist_standin(train=True)
    np.testing.assert_array_equal(again.data, mnist_train.data)
    assert again.targets == mnist_train.targets


def test_mnist_standin_transform():
    ds = mnist_standin(train=False, transform=pil_to_tensor)
    image, _ = ds[0]
    assert isinstance(image, torch.Tensor)
    assert image.shape == (1, 28, 28)


@pytest.mark.parametrize(("split", "count"), [("cifar_train", 5000), ("cifar_test", 1000)])
def test_cifar10_standin_shapes(request, split, count):
    ds = request.getfixturevalue(split)
    assert isinstance(ds, ArrayImageDataset)
    assert len(ds) == count
    assert ds.data.shape == (count, 32, 32, 3)
    assert ds.data.dtype == np.uint8
    assert ds.classes == CIFAR10_CLASSES
    assert sorted(set(ds.targets)) == list(range(10))
    counts = np.bincount(ds.targets, minlength=10)
    assert counts.min() > count / 10 * 0.7  # roughly balanced
    image, target = ds[0]
    assert image.mode == "RGB"
    assert image.size == (32, 32)
    assert target == ds.targets[0]


def test_cifar10_standin_is_deterministic_and_splits_differ(cifar_train, cifar_test):
    again = cifar10_standin(train=True)
    np.testing.assert_array_equal(again.data, cifar_train.data)
    assert again.targets == cifar_train.targets
    assert not np.array_equal(cifar_train.data[:1000], cifar_test.data)


def test_cifar10_standin_size():
    ds = cifar10_standin(train=True, size=64)
    assert len(ds) == 64
    assert ds.data.shape == (64, 32, 32, 3)
    np.testing.assert_array_equal(cifar10_standin(train=True, size=64).data, ds.data)


def _nearest_mean_accuracy(features: np.ndarray, targets: np.ndarray) -> float:
    """Fit class means on the first half, classify the second half by the nearest mean."""
    half = len(features) // 2
    means = np.stack([features[:half][targets[:half] == k].mean(0) for k in range(10)])
    distances = ((features[half:, None, :] - means[None]) ** 2).sum(-1)
    return float((distances.argmin(1) == targets[half:]).mean())


def test_cifar10_standin_is_learnable_from_pattern_not_colour(cifar_train):
    targets = np.asarray(cifar_train.targets)
    pixels = cifar_train.data.astype(np.float32) / 255
    grey = pixels.mean(-1)
    # The stripes' angle and frequency (phase-free amplitude spectrum) identify every class...
    spectrum = np.abs(np.fft.fft2(grey - grey.mean((1, 2), keepdims=True)))
    assert _nearest_mean_accuracy(spectrum.reshape(len(grey), -1), targets) > 0.95
    # ...while each image's mean colour and contrast alone do not.
    colour = np.concatenate([pixels.mean((1, 2)), pixels.std((1, 2))], axis=1)
    assert _nearest_mean_accuracy(colour, targets) < 0.5


def test_cifar10_standin_transform():
    ds = cifar10_standin(train=False, transform=pil_to_tensor, size=4)
    image, _ = ds[3]
    assert image.shape == (3, 32, 32)
    assert image.dtype == torch.uint8
