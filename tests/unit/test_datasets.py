"""Unit tests of course_utils.datasets: ArrayImageDataset and the CIFAR-10 binary reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.datasets import VisionDataset
from torchvision.transforms.functional import pil_to_tensor

from course_utils.datasets import (
    CIFAR10_CLASSES,
    CIFAR10_RECORD_BYTES,
    CIFAR10_TRAIN_FILES,
    ArrayImageDataset,
    CIFAR10Binary,
    read_cifar10_binary,
)
from course_utils.errors import DatasetFileError

RECORDS = 10_000


def cifar_records(seed: int, count: int = RECORDS) -> np.ndarray:
    """Random CIFAR-10 binary records (count, 3073): label byte, then R, G and B planes."""
    rng = np.random.default_rng(seed)
    records = rng.integers(0, 256, (count, CIFAR10_RECORD_BYTES), dtype=np.uint8)
    records[:, 0] = rng.integers(0, 10, count)
    return records


def write_batch(path: Path, label: int, count: int = 50) -> None:
    """A small batch of black images, all of class ``label``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    records = np.zeros((count, CIFAR10_RECORD_BYTES), np.uint8)
    records[:, 0] = label
    records.tofile(path)


@pytest.fixture(scope="module")
def cifar_test_root(tmp_path_factory) -> tuple[Path, np.ndarray]:
    """A data root holding a valid, random ``cifar-10-batches-bin/test_batch.bin``."""
    root = tmp_path_factory.mktemp("cifar-root")
    records = cifar_records(seed=0)
    folder = root / CIFAR10Binary.base_folder
    folder.mkdir()
    records.tofile(folder / "test_batch.bin")
    return root, records


# --------------------------------------------------------------------------- ArrayImageDataset


def test_array_dataset_grey_items_are_pil_mode_l():
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (4, 5, 6), dtype=np.uint8)
    ds = ArrayImageDataset(data, np.array([3, 1, 4, 1]), ["a", "b", "c", "d", "e"])
    assert isinstance(ds, VisionDataset)
    assert len(ds) == 4
    image, target = ds[2]
    assert isinstance(image, Image.Image)
    assert image.mode == "L"
    assert image.size == (6, 5)  # PIL: (width, height)
    np.testing.assert_array_equal(np.asarray(image), data[2])
    assert target == 4
    assert type(target) is int
    assert ds.targets == [3, 1, 4, 1]
    assert all(type(t) is int for t in ds.targets)
    assert ds.classes == ["a", "b", "c", "d", "e"]
    assert ds.data is data


def test_array_dataset_rgb_items_are_pil_rgb():
    rng = np.random.default_rng(1)
    data = rng.integers(0, 256, (3, 5, 6, 3), dtype=np.uint8)
    ds = ArrayImageDataset(data, [0, 1, 2], ("x", "y", "z"))
    image, target = ds[1]
    assert image.mode == "RGB"
    assert image.size == (6, 5)
    np.testing.assert_array_equal(np.asarray(image), data[1])
    assert target == 1
    assert isinstance(ds.classes, list)


def test_array_dataset_applies_transforms():
    data = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    ds = ArrayImageDataset(
        data, [7, 8], ["c"] * 10, transform=pil_to_tensor, target_transform=lambda t: t * 10
    )
    image, target = ds[1]
    assert isinstance(image, torch.Tensor)
    assert image.shape == (1, 3, 4)
    torch.testing.assert_close(image[0], torch.from_numpy(data[1]))
    assert target == 80


@pytest.mark.parametrize(
    "data",
    [
        np.zeros((2, 4, 4), np.float32),
        np.zeros((2, 4, 4), np.int64),
        np.zeros((2, 16), np.uint8),
        np.zeros((2, 4, 4, 3, 1), np.uint8),
    ],
    ids=["float32", "int64", "2d", "5d"],
)
def test_array_dataset_rejects_bad_arrays(data):
    with pytest.raises(ValueError, match="expected uint8 images"):
        ArrayImageDataset(data, [0, 1], ["a", "b"])


def test_array_dataset_rejects_length_mismatch():
    with pytest.raises(ValueError, match="3 images but 2 targets"):
        ArrayImageDataset(np.zeros((3, 4, 4), np.uint8), [0, 1], ["a", "b"])


def test_array_dataset_index_out_of_range():
    ds = ArrayImageDataset(np.zeros((2, 4, 4), np.uint8), [0, 1], ["a", "b"])
    with pytest.raises(IndexError):
        ds[2]


# -------------------------------------------------------------------------- read_cifar10_binary


def test_read_cifar10_binary_test_split(cifar_test_root):
    root, records = cifar_test_root
    images, labels = read_cifar10_binary(root / CIFAR10Binary.base_folder, train=False)
    assert images.shape == (10_000, 32, 32, 3)
    assert images.dtype == np.uint8
    assert images.flags.c_contiguous
    assert labels == records[:, 0].tolist()
    # The planes are R, G, B, each 32x32 row-major: back to the records byte for byte.
    np.testing.assert_array_equal(images.transpose(0, 3, 1, 2).reshape(10_000, -1), records[:, 1:])
    # ...and one pixel by hand: image 5, row 2, column 7, green.
    assert images[5, 2, 7, 1] == records[5, 1 + 1024 + 2 * 32 + 7]


def test_read_cifar10_binary_train_split_in_batch_order(tmp_path):
    for index, name in enumerate(CIFAR10_TRAIN_FILES):
        write_batch(tmp_path / name, label=index + 1)
    images, labels = read_cifar10_binary(tmp_path, train=True)
    assert images.shape == (250, 32, 32, 3)
    assert [labels[k * 50] for k in range(5)] == [1, 2, 3, 4, 5]
    assert labels[49] == 1 and labels[-1] == 5


@pytest.mark.parametrize("size", [0, 100, 3072])
def test_read_cifar10_binary_a_partial_record_names_the_file(tmp_path, size):
    path = tmp_path / "test_batch.bin"
    path.write_bytes(b"\x01" * (CIFAR10_RECORD_BYTES * 2 + size) if size else b"")
    with pytest.raises(DatasetFileError, match="whole number of 3073-byte records") as caught:
        read_cifar10_binary(tmp_path, train=False)
    assert str(path) in str(caught.value) and "Delete it and rerun" in str(caught.value)


def test_read_cifar10_binary_a_label_out_of_range_names_the_file(tmp_path):
    path = tmp_path / "test_batch.bin"
    records = cifar_records(seed=1, count=20)
    records[7, 0] = 168
    records.tofile(path)
    with pytest.raises(DatasetFileError, match="label 168") as caught:
        read_cifar10_binary(tmp_path, train=False)
    assert str(path) in str(caught.value)


def test_read_cifar10_binary_one_train_batch_missing(tmp_path):
    for name in CIFAR10_TRAIN_FILES[:-1]:
        write_batch(tmp_path / name, label=0)
    with pytest.raises(DatasetFileError, match="data_batch_5.bin is missing"):
        read_cifar10_binary(tmp_path, train=True)


# -------------------------------------------------------------------------------- CIFAR10Binary


def test_cifar10_binary_dataset(cifar_test_root):
    root, records = cifar_test_root
    ds = CIFAR10Binary(root, train=False)
    assert ds.train is False
    assert len(ds) == 10_000
    assert ds.classes == CIFAR10_CLASSES
    assert ds.data.shape == (10_000, 32, 32, 3)
    assert ds.targets == records[:, 0].tolist()
    image, target = ds[9]
    assert image.mode == "RGB"
    assert image.size == (32, 32)
    assert target == records[9, 0]
    red = records[9, 1:1025].reshape(32, 32)
    np.testing.assert_array_equal(np.asarray(image)[:, :, 0], red)


def test_cifar10_binary_transforms(cifar_test_root):
    root, records = cifar_test_root
    ds = CIFAR10Binary(
        str(root),
        train=False,
        transform=pil_to_tensor,
        target_transform=CIFAR10_CLASSES.__getitem__,
    )
    image, target = ds[0]
    assert image.shape == (3, 32, 32)
    np.testing.assert_array_equal(image.numpy().reshape(-1), records[0, 1:])
    assert target == CIFAR10_CLASSES[records[0, 0]]


def test_cifar10_binary_missing_files_raise(tmp_path):
    with pytest.raises(DatasetFileError, match="test_batch.bin"):
        CIFAR10Binary(tmp_path, train=False)
