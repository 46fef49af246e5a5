"""The facts of each dataset the book reads, and the classes that read them.

One block per dataset: its classes, its files (unpacked size and published md5) and where it can
be downloaded. ``ArrayImageDataset`` serves images kept in one uint8 array the way torchvision's
datasets do (``ds[i]`` is ``(PIL image, int)``; ``.data``, ``.targets``, ``.classes``);
``CIFAR10Binary`` fills it from CIFAR-10's *binary* version, which torchvision cannot read.
Chapter 05 writes a ``Dataset`` by hand; these are the book's finished ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from torchvision.datasets import VisionDataset

from course_utils.errors import DatasetFileError

__all__ = [
    "MNIST_CLASSES",
    "MNIST_FILES",
    "MNIST_URLS",
    "CIFAR10_CLASSES",
    "CIFAR10_FILES",
    "CIFAR10_TRAIN_FILES",
    "CIFAR10_TEST_FILES",
    "CIFAR10_RECORD_BYTES",
    "CIFAR10_BINARY_URL",
    "DatasetFileError",
    "ArrayImageDataset",
    "read_cifar10_binary",
    "CIFAR10Binary",
]

# ----------------------------------------------------------------------------------------- MNIST
# The same class names as torchvision.datasets.MNIST.classes.
MNIST_CLASSES = [
    f"{d} - {name}"
    for d, name in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
]
# The four unpacked IDX files: bytes and md5 (the mirror's README; identical to the originals).
MNIST_FILES = {
    "train-images-idx3-ubyte": (47_040_016, "6bbc9ace898e44ae57da46a324031adb"),
    "train-labels-idx1-ubyte": (60_008, "a25bea736e30d166cdddb491f175f624"),
    "t10k-images-idx3-ubyte": (7_840_016, "2646ac647ad5339dbf082846283269ea"),
    "t10k-labels-idx1-ubyte": (10_008, "27ae3e4e09519cfbb04c329615203637"),
}
# Where torchvision downloads the .gz files from (torchvision.datasets.MNIST.mirrors).
MNIST_URLS = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]

# -------------------------------------------------------------------------------------- CIFAR-10
CIFAR10_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip
CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32  # one label byte, then the R, G and B planes
_BATCH_BYTES = 10_000 * CIFAR10_RECORD_BYTES
# The binary version's six batches: bytes and md5 (the official binary version's).
CIFAR10_FILES = {
    "data_batch_1.bin": (_BATCH_BYTES, "5dd7e06a14cb22eb9f671a540d1b7c25"),
    "data_batch_2.bin": (_BATCH_BYTES, "5ea93a67294ea407fff1d09f752e9692"),
    "data_batch_3.bin": (_BATCH_BYTES, "942cd6a4bcdd0dd3c604fbe906cb4421"),
    "data_batch_4.bin": (_BATCH_BYTES, "ae636b3ba5c66a11e91e8cb52e771fcb"),
    "data_batch_5.bin": (_BATCH_BYTES, "53f37980c15c3d472c316c40844f3f0d"),
    "test_batch.bin": (_BATCH_BYTES, "803d5f7f4d78ea53de84dbe85f74fb6d"),
}
CIFAR10_TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
CIFAR10_TEST_FILES = ["test_batch.bin"]
# The binary version, as listed on https://www.cs.toronto.edu/~kriz/cifar.html
CIFAR10_BINARY_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"

DELETE_AND_RERUN = "Delete it and rerun: it is unpacked again from the mirror or downloaded."


class ArrayImageDataset(VisionDataset):
    """Images held in a uint8 array (N,H,W) or (N,H,W,3), served as PIL images like torchvision."""

    def __init__(
        self,
        data: np.ndarray,
        targets: Sequence[int],
        classes: Sequence[str],
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        root: str | Path | None = None,
    ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        if data.dtype != np.uint8 or data.ndim not in (3, 4):
            raise ValueError(
                f"expected uint8 images (N,H,W) or (N,H,W,3), got {data.dtype} {data.shape}"
            )
        if len(data) != len(targets):
            raise ValueError(f"{len(data)} images but {len(targets)} targets")
        self.data = data
        self.targets = [int(t) for t in targets]
        self.classes = list(classes)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image: Any = Image.fromarray(self.data[index])
        target: Any = self.targets[index]
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


def read_cifar10_binary(folder: Path, train: bool) -> tuple[np.ndarray, list[int]]:
    """Read CIFAR-10's binary batches in ``folder``: images (N,32,32,3) uint8 and labels.

    A batch that is not a whole number of records, or holds a label outside 0-9, is named.
    """
    names = CIFAR10_TRAIN_FILES if train else CIFAR10_TEST_FILES
    images, labels = [], []
    for name in names:
        path = folder / name
        if not path.is_file():
            raise DatasetFileError(f"{path} is missing. {DELETE_AND_RERUN}")
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size == 0 or raw.size % CIFAR10_RECORD_BYTES:
            raise DatasetFileError(
                f"{path} is truncated or corrupt: {raw.size:,} bytes is not a whole number of "
                f"{CIFAR10_RECORD_BYTES}-byte records. {DELETE_AND_RERUN}"
            )
        records = raw.reshape(-1, CIFAR10_RECORD_BYTES)
        if records[:, 0].max() >= len(CIFAR10_CLASSES):
            raise DatasetFileError(
                f"{path} is corrupt: it holds label {records[:, 0].max()}, CIFAR-10 has "
                f"labels 0-9. {DELETE_AND_RERUN}"
            )
        labels.extend(records[:, 0].tolist())
        images.append(records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return np.ascontiguousarray(np.concatenate(images)), labels


class CIFAR10Binary(ArrayImageDataset):
    """CIFAR-10 read from its binary version (``cifar-10-batches-bin/*.bin``) under ``root``.

    Behaves like ``torchvision.datasets.CIFAR10``: same ``.data`` layout (N,32,32,3),
    ``.targets``, ``.classes`` and items ``(PIL image, label)``. Chapter 07 trains on it.
    """

    base_folder = "cifar-10-batches-bin"

    def __init__(
        self,
        root: str | Path,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        data, targets = read_cifar10_binary(Path(root) / self.base_folder, train)
        super().__init__(data, targets, CIFAR10_CLASSES, transform, target_transform, root)
        self.train = train
