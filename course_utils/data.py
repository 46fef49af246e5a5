"""``mnist()`` and ``cifar10()``: the real datasets from the best source this machine has.

Sources are tried in order, and one printed line names the one in use:

1. files already unpacked in the book's data directory (``COURSE_DATA_DIR``, default ``data/``);
2. the read-only mirror named by ``COURSE_DATA_MIRROR`` (checked, then unpacked into 1);
3. torchvision's download, with a short timeout (``COURSE_DOWNLOAD_TIMEOUT`` seconds, default 10);
4. a small offline stand-in (:mod:`course_utils.standins`), so nothing hangs or crashes offline.

A truncated or corrupt file raises :class:`~course_utils.datasets.DatasetFileError` naming the
file and the fix; nothing is ever written into the mirror.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import shutil
import socket
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from torchvision import datasets as tv_datasets

from course_utils.datasets import (
    CIFAR10_FILE_BYTES,
    CIFAR10_TEST_FILES,
    CIFAR10_TRAIN_FILES,
    CIFAR10Binary,
    DatasetFileError,
    check_file_size,
)
from course_utils.profile import data_dir, mirror_dir
from course_utils.standins import cifar10_standin, mnist_standin

# MNIST's four files: unpacked size and the md5 of the original .gz (torchvision checks the same).
MNIST_FILES = {
    "train-images-idx3-ubyte": (47_040_016, "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train-labels-idx1-ubyte": (60_008, "d53e105ee54ea40749a09fcbcd1e9432"),
    "t10k-images-idx3-ubyte": (7_840_016, "9fb629c4189551a2d022fa330f9573f3"),
    "t10k-labels-idx1-ubyte": (10_008, "ec29112dd5afa0611ce80d1b7f02629c"),
}
# md5 of each CIFAR-10 binary batch once unpacked (the official binary version's).
CIFAR10_MD5 = {
    "data_batch_1.bin": "5dd7e06a14cb22eb9f671a540d1b7c25",
    "data_batch_2.bin": "5ea93a67294ea407fff1d09f752e9692",
    "data_batch_3.bin": "942cd6a4bcdd0dd3c604fbe906cb4421",
    "data_batch_4.bin": "ae636b3ba5c66a11e91e8cb52e771fcb",
    "data_batch_5.bin": "53f37980c15c3d472c316c40844f3f0d",
    "test_batch.bin": "803d5f7f4d78ea53de84dbe85f74fb6d",
}
DELETE_AND_RERUN = "Delete it and rerun: it is unpacked again from the mirror or downloaded."


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _gunzip(source: Path, target: Path) -> None:
    """Unpack ``source`` (.gz) to ``target`` via a temporary file: a crash leaves no half file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        with gzip.open(source, "rb") as packed, partial.open("wb") as unpacked:
            shutil.copyfileobj(packed, unpacked, 1 << 20)
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError;
        # a damaged deflate stream raises zlib.error, which is neither.
        partial.unlink(missing_ok=True)
        raise DatasetFileError(
            f"{source} could not be unpacked ({error}): the file is truncated or corrupt. "
            "Restore it, or unset COURSE_DATA_MIRROR to download the data instead."
        ) from error
    partial.replace(target)


def _found(dataset: Any, name: str, train: bool, source: str, where: str) -> Any:
    """Tag ``dataset`` with its ``source`` and print the one line that says where it came from."""
    dataset.source = source
    split = "train" if train else "test"
    print(f"[data] {name} {split}: {len(dataset):,} images {where}")
    return dataset


@contextlib.contextmanager
def _download_timeout() -> Iterator[None]:
    """Give every socket a short timeout while torchvision downloads, so no cell hangs."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(float(os.environ.get("COURSE_DOWNLOAD_TIMEOUT", "10")))
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _try_download(make: Callable[[], Any]) -> Any | None:
    """Run torchvision's download; return None (quietly) when the network refuses."""
    chatter = io.StringIO()
    try:
        with (
            _download_timeout(),
            contextlib.redirect_stdout(chatter),
            contextlib.redirect_stderr(chatter),
        ):
            return make()
    except (OSError, RuntimeError, ValueError):  # URLError, timeouts, md5 mismatch
        return None


# ----------------------------------------------------------------------------------------- MNIST


def _mnist_raw(root: Path) -> Path:
    return root / "MNIST" / "raw"


def _mnist_cached(root: Path, train: bool, transform: Callable | None) -> Any | None:
    # torchvision's MNIST wants all four files unpacked, whichever split is asked for.
    raw = _mnist_raw(root)
    if not all((raw / name).exists() for name in MNIST_FILES):
        return None
    for name, (size, _) in MNIST_FILES.items():
        check_file_size(raw / name, size, DELETE_AND_RERUN)
    try:
        return tv_datasets.MNIST(root, train=train, transform=transform, download=False)
    except (AssertionError, RuntimeError, TypeError, ValueError) as error:  # bad IDX header
        raise DatasetFileError(
            f"{raw} holds a corrupt MNIST file ({error!r}). Delete its four files and rerun: "
            "they are unpacked again from the mirror or downloaded."
        ) from error


def _mnist_from_mirror(mirror: Path, root: Path) -> bool:
    """Check the mirror's four .gz files, unpack them into the data directory; False if absent."""
    packed = [_mnist_raw(mirror) / f"{name}.gz" for name in MNIST_FILES]
    if not all(path.exists() for path in packed):
        return False
    for path in packed:
        name = path.name.removesuffix(".gz")
        if _md5(path) != MNIST_FILES[name][1]:
            raise DatasetFileError(
                f"{path} does not match MNIST's published md5: the mirror copy is corrupt. "
                "Restore it, or unset COURSE_DATA_MIRROR to download the data instead."
            )
        _gunzip(path, _mnist_raw(root) / name)
    return True


def mnist(train: bool = True, transform: Callable | None = None) -> Any:
    """Return MNIST's training or test split as a torchvision-style dataset.

    Items are ``(PIL image 28×28, label)``; ``.data``, ``.targets`` and ``.classes`` are there as in
    ``torchvision.datasets.MNIST``, and ``.source`` says where the images came from
    (``"cache"``, ``"mirror"``, ``"download"`` or ``"standin"``).
    """
    root = data_dir()
    dataset = _mnist_cached(root, train, transform)
    if dataset is not None:
        return _found(dataset, "MNIST", train, "cache", f"from {_mnist_raw(root)}")
    mirror = mirror_dir()
    if mirror is not None and _mnist_from_mirror(mirror, root):
        dataset = _mnist_cached(root, train, transform)
        return _found(dataset, "MNIST", train, "mirror", f"unpacked from the mirror {mirror}")
    dataset = _try_download(
        lambda: tv_datasets.MNIST(root, train=train, transform=transform, download=True)
    )
    if dataset is not None:
        return _found(dataset, "MNIST", train, "download", "downloaded by torchvision")
    dataset = mnist_standin(train, transform)
    return _found(
        dataset,
        "MNIST",
        train,
        "standin",
        "from the OFFLINE STAND-IN (no MNIST files, no mirror, "
        "no network): scikit-learn's 8x8 digits scaled to 28x28",
    )


# -------------------------------------------------------------------------------------- CIFAR-10


def _cifar10_from_mirror(mirror: Path, root: Path, train: bool) -> bool:
    """Unpack the mirror's gzipped binary batches into the data directory; False if absent."""
    names = CIFAR10_TRAIN_FILES if train else CIFAR10_TEST_FILES
    packed = [mirror / CIFAR10Binary.base_folder / f"{name}.gz" for name in names]
    if not all(path.exists() for path in packed):
        return False
    for path in packed:
        target = root / CIFAR10Binary.base_folder / path.name.removesuffix(".gz")
        _gunzip(path, target)
        if target.stat().st_size != CIFAR10_FILE_BYTES or _md5(target) != CIFAR10_MD5[target.name]:
            target.unlink()
            raise DatasetFileError(
                f"{path} does not unpack to CIFAR-10's published batch (size or md5 differ): the "
                "mirror copy is corrupt. Restore it, or unset COURSE_DATA_MIRROR to download."
            )
    return True


def _cifar10_torchvision_cached(root: Path, train: bool, transform: Callable | None) -> Any | None:
    if not (root / "cifar-10-batches-py").is_dir():
        return None
    try:
        return tv_datasets.CIFAR10(root, train=train, transform=transform, download=False)
    except RuntimeError as error:  # torchvision: "Dataset not found or corrupted"
        raise DatasetFileError(
            f"{root / 'cifar-10-batches-py'} is incomplete or corrupt ({error}). "
            "Delete that folder and rerun to download it again."
        ) from error


def cifar10(train: bool = True, transform: Callable | None = None) -> Any:
    """Return CIFAR-10's training or test split as a torchvision-style dataset.

    Items are ``(PIL image 32×32 RGB, label)``; ``.data`` (N,32,32,3 uint8), ``.targets`` and
    ``.classes`` as in ``torchvision.datasets.CIFAR10``; ``.source`` as in :func:`mnist`.
    """
    root = data_dir()
    if CIFAR10Binary.exists(root, train):
        dataset = CIFAR10Binary(root, train, transform)
        folder = root / CIFAR10Binary.base_folder
        return _found(dataset, "CIFAR-10", train, "cache", f"from {folder}")
    dataset = _cifar10_torchvision_cached(root, train, transform)
    if dataset is not None:
        folder = root / "cifar-10-batches-py"
        return _found(dataset, "CIFAR-10", train, "cache", f"from {folder}")
    mirror = mirror_dir()
    if mirror is not None and _cifar10_from_mirror(mirror, root, train):
        dataset = CIFAR10Binary(root, train, transform)
        return _found(dataset, "CIFAR-10", train, "mirror", f"unpacked from the mirror {mirror}")
    dataset = _try_download(
        lambda: tv_datasets.CIFAR10(root, train=train, transform=transform, download=True)
    )
    if dataset is not None:
        return _found(dataset, "CIFAR-10", train, "download", "downloaded by torchvision")
    dataset = cifar10_standin(train, transform)
    return _found(
        dataset,
        "CIFAR-10",
        train,
        "standin",
        "from the OFFLINE STAND-IN (no CIFAR-10 files, no "
        "mirror, no network): generated 10-class stripe images",
    )
