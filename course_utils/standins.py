"""Small offline stand-ins for MNIST and CIFAR-10, for machines with no data and no network.

They keep the real datasets' shapes and classes so every chapter still runs end to end; the
accuracies they give are not the book's numbers. Chapter 05 shows one beside the real MNIST.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

from course_utils.datasets import CIFAR10_CLASSES, MNIST_CLASSES, ArrayImageDataset

__all__ = ["mnist_standin", "cifar10_standin"]


def mnist_standin(train: bool = True, transform: Callable | None = None) -> ArrayImageDataset:
    """scikit-learn's bundled 8×8 digits, scaled to 20×20 and padded to 28×28 like MNIST.

    Every fifth image is the test split (360 images), the rest the training split (1437).
    """
    images, labels = _mnist_arrays(train)
    return ArrayImageDataset(images.copy(), labels, MNIST_CLASSES, transform)


@functools.cache
def _mnist_arrays(train: bool) -> tuple[np.ndarray, np.ndarray]:
    """The stand-in's pixels and labels, made once per process (each dataset gets a copy)."""
    digits = load_digits()
    keep = (np.arange(len(digits.images)) % 5 == 0) != train
    images = []
    for small in digits.images[keep]:
        pixels = Image.fromarray((small * (255 / 16)).astype(np.uint8))
        digit = np.asarray(pixels.resize((20, 20), Image.Resampling.BILINEAR))
        images.append(np.pad(digit, 4))
    return np.stack(images), digits.target[keep]


def cifar10_standin(
    train: bool = True, transform: Callable | None = None, size: int | None = None
) -> ArrayImageDataset:
    """A generated, learnable 10-class set of 32×32 colour images (5000 train, 1000 test).

    Class ``k`` is a stripe pattern with its own angle, frequency and tint, drawn at a random
    phase, with random brightness and pixel noise: easy for a small CNN, impossible by colour alone.
    """
    pixels, labels = _cifar10_arrays(train, size or (5000 if train else 1000))
    return ArrayImageDataset(pixels.copy(), labels, CIFAR10_CLASSES, transform)


@functools.cache
def _cifar10_arrays(train: bool, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The stand-in's pixels and labels, made once per process (each dataset gets a copy)."""
    rng = np.random.default_rng(10 if train else 11)
    labels = rng.integers(0, 10, count)
    ys, xs = np.mgrid[0:32, 0:32].astype(np.float32) / 32
    angle = labels[:, None, None] * (np.pi / 10)
    frequency = 2 + (labels[:, None, None] % 5) * 1.5
    phase = rng.uniform(0, 2 * np.pi, (count, 1, 1))
    wave = np.sin(2 * np.pi * frequency * (xs * np.cos(angle) + ys * np.sin(angle)) + phase)
    tint = np.stack([np.roll([0.9, 0.5, 0.3], k) for k in range(10)])[labels][:, None, None, :]
    brightness = rng.uniform(0.6, 1.0, (count, 1, 1, 1))
    images = (0.5 + 0.35 * wave[..., None] * tint) * brightness
    images += rng.normal(0, 0.08, images.shape)
    return (np.clip(images, 0, 1) * 255).astype(np.uint8), labels
