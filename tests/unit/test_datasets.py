"""Unit tests of course_utils.datasets: ArrayImageDataset, the CIFAR-10 binary reader, sizes."""

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
    CIFAR10_FILE_BYTES,
    CIFAR10_RECORD_BYTES,
    CIFAR10_TEST_FILES,
    CIFAR10_TRAIN_FILES,
    ArrayImageDataset,
    CIFAR10Binary,
    DatasetFileError,
    check_file_size,
    read_cifar10_binary,
)

RECORDS = CIFAR10_FILE_BYTES // CIFAR10_RECORD_BYTES


def cifar_records(seed: int, count: int = RECORDS) -> np.ndarray:
    """Random CIFAR-10 binary records (count, 3073): label byte, then R, G and B planes."""
    rng = np.random.default_rng(seed)
    records = rng.integers(0, 256, (count, CIFAR10_RECORD_BYTES), dtype=np.uint8)
    records[:, 0] = rng.integers(0, 10, count)
    return records


def write_sparse_batch(path: Path, label: int) -> None:
    """A full-size batch of black images, all of class ``label`` (sparse: cheap to write)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(CIFAR10_FILE_BYTES)
    labels = np.memmap(path, np.uint8, "r+", shape=(RECORDS, CIFAR10_RECORD_BYTES))
    labels[:, 0] = label
    labels.flush()
    del labels


@pytest.fixture(scope="module")
def cifar_test_root(tmp_path_factory) -> tuple[Path, np.ndarray]:
    """A data root holding a valid, random ``cifar-10-batches-bin/test_batch.bin``."""
    root = tmp_path_factory.mktemp("cifar-root")
    records = cifar_records(seed=0)
    folder = root / CIFAR10Binary.base_folder
    folder.mkdir()
    records.tofile(folder / "test_batch.bin")
    return root, records


# ------------------------------------------------------------------------------------ constants


def test_cifar10_constants():
    assert CIFAR10_RECORD_BYTES == 3073
    assert CIFAR10_FILE_BYTES == 30_730_000
    assert len(CIFAR10_CLASSES) == 10
    assert CIFAR10_CLASSES[0] == "airplane"
    assert CIFAR10_CLASSES[3] == "cat"
    assert CIFAR10_CLASSES[-1] == "truck"
    assert [f"data_batch_{i}.bin" for i in range(1, 6)] == CIFAR10_TRAIN_FILES
    assert CIFAR10_TEST_FILES == ["test_batch.bin"]


# ------------------------------------------------------------------------------ check_file_size


def test_check_file_size_accepts_the_expected_size(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"x" * 10)
    check_file_size(path, 10, "Delete it.")  # no error


@pytest.mark.parametrize("size", [0, 9, 11])
def test_check_file_size_names_file_and_fix(tmp_path, size):
    path = tmp_path / "file.bin"
    path.write_bytes(b"x" * size)
    with pytest.raises(DatasetFileError) as caught:
        check_file_size(path, 10_000, "Delete it and rerun.")
    message = str(caught.value)
    assert str(path) in message
    assert "expected 10,000 bytes" in message
    assert f"it has {size:,} bytes" in message
    assert message.endswith("Delete it and rerun.")


def test_check_file_size_missing_file(tmp_path):
    path = tmp_path / "gone.bin"
    with pytest.raises(DatasetFileError, match="it is missing"):
        check_file_size(path, 10, "Fix it.")


def test_dataset_file_error_is_a_runtime_error():
    assert issubclass(DatasetFileError, RuntimeError)


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
        write_sparse_batch(tmp_path / name, label=index + 1)
    images, labels = read_cifar10_binary(tmp_path, train=True)
    assert images.shape == (50_000, 32, 32, 3)
    assert len(labels) == 50_000
    assert [labels[k * 10_000] for k in range(5)] == [1, 2, 3, 4, 5]
    assert labels[9_999] == 1
    assert labels[-1] == 5


def test_read_cifar10_binary_truncated_batch(tmp_path):
    path = tmp_path / "test_batch.bin"
    cifar_records(seed=1, count=100).tofile(path)
    with pytest.raises(DatasetFileError) as caught:
        read_cifar10_binary(tmp_path, train=False)
    message = str(caught.value)
    assert str(path) in message
    assert "Delete" in message
    assert "307,300 bytes" in message


def test_read_cifar10_binary_one_train_batch_missing(tmp_path):
    for name in CIFAR10_TRAIN_FILES[:-1]:
        write_sparse_batch(tmp_path / name, label=0)
    with pytest.raises(DatasetFileError, match="data_batch_5.bin.*it is missing"):
        read_cifar10_binary(tmp_path, train=True)


# -------------------------------------------------------------------------------- CIFAR10Binary


def test_cifar10_binary_exists(tmp_path):
    assert not CIFAR10Binary.exists(tmp_path, train=False)
    assert not CIFAR10Binary.exists(tmp_path, train=True)
    folder = tmp_path / CIFAR10Binary.base_folder
    folder.mkdir()
    (folder / "test_batch.bin").write_bytes(b"")  # sizes are only checked on load
    assert CIFAR10Binary.exists(tmp_path, train=False)
    assert CIFAR10Binary.exists(str(tmp_path), train=False)
    assert not CIFAR10Binary.exists(tmp_path, train=True)
    for name in CIFAR10_TRAIN_FILES[:4]:
        (folder / name).write_bytes(b"")
    assert not CIFAR10Binary.exists(tmp_path, train=True)
    (folder / CIFAR10_TRAIN_FILES[4]).write_bytes(b"")
    assert CIFAR10Binary.exists(tmp_path, train=True)


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
