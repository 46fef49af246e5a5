"""Dataset classes the book reads its images with, and the check that names a broken file.

``ArrayImageDataset`` serves images kept in one uint8 array the way torchvision's datasets do
(``ds[i]`` is ``(PIL image, int)``; ``.data``, ``.targets``, ``.classes``). ``CIFAR10Binary`` fills
it from CIFAR-10's *binary* version, which torchvision's ``CIFAR10`` class cannot read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from torchvision.datasets import VisionDataset

CIFAR10_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip
CIFAR10_TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
CIFAR10_TEST_FILES = ["test_batch.bin"]
CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32  # one label byte, then the R, G and B planes
CIFAR10_FILE_BYTES = 10_000 * CIFAR10_RECORD_BYTES


class DatasetFileError(RuntimeError):
    """A dataset file is missing, truncated or corrupt; the message names the file and the fix."""


def check_file_size(path: Path, expected: int, fix: str) -> None:
    """Raise :class:`DatasetFileError` naming ``path`` and ``fix`` unless it has ``expected`` bytes.

    (A missing file counts as truncated.)
    """
    size = path.stat().st_size if path.exists() else None
    if size != expected:
        found = "it is missing" if size is None else f"it has {size:,} bytes"
        raise DatasetFileError(
            f"{path} is truncated or corrupt: expected {expected:,} bytes, {found}. {fix}"
        )


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
    """Read CIFAR-10's binary batches in ``folder``: images (N,32,32,3) uint8 and labels."""
    names = CIFAR10_TRAIN_FILES if train else CIFAR10_TEST_FILES
    images, labels = [], []
    for name in names:
        path = folder / name
        check_file_size(path, CIFAR10_FILE_BYTES, "Delete it and rerun to unpack it again.")
        records = np.fromfile(path, dtype=np.uint8).reshape(-1, CIFAR10_RECORD_BYTES)
        labels.extend(records[:, 0].tolist())
        images.append(records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return np.ascontiguousarray(np.concatenate(images)), labels


class CIFAR10Binary(ArrayImageDataset):
    """CIFAR-10 read from its binary version (``cifar-10-batches-bin/*.bin``) under ``root``.

    Behaves like ``torchvision.datasets.CIFAR10``: same ``.data`` layout (N,32,32,3),
    ``.targets``, ``.classes`` and items ``(PIL image, label)``.
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

    @classmethod
    def exists(cls, root: str | Path, train: bool) -> bool:
        """True when every batch file of the split is present (sizes are checked on load)."""
        names = CIFAR10_TRAIN_FILES if train else CIFAR10_TEST_FILES
        return all((Path(root) / cls.base_folder / name).exists() for name in names)
