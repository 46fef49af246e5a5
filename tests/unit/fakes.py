"""Small, valid stand-ins for the real dataset files, and specs that expect them.

The loaders check every file's size and md5 against a :class:`~course_utils.data.DatasetSpec`;
:func:`tiny_spec` gives a spec whose files are these few records, so a test needs kilobytes where
the real datasets need hundreds of megabytes.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import struct
import tarfile
from pathlib import Path

import numpy as np

from course_utils.data import DatasetSpec
from course_utils.datasets import CIFAR10_RECORD_BYTES


def md5(payload: bytes) -> str:
    return hashlib.md5(payload, usedforsecurity=False).hexdigest()


def idx_images(pixels: np.ndarray) -> bytes:
    """An IDX image file (magic 2051, count, rows, cols, then the pixels)."""
    count, rows, cols = pixels.shape
    return struct.pack(">IIII", 2051, count, rows, cols) + pixels.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    """An IDX label file (magic 2049, count, then one byte per label)."""
    return struct.pack(">II", 2049, len(labels)) + labels.astype(np.uint8).tobytes()


def labels_for(count: int, train: bool) -> list[int]:
    """The labels the fakes give: ``(i + 3) % 10`` for the test split, ``i % 10`` for training."""
    return [int(v) for v in (np.arange(count) + (0 if train else 3)) % 10]


def fake_mnist_files(train_count: int = 30, test_count: int = 10) -> dict[str, bytes]:
    """Valid, unpacked MNIST IDX files; image k has pixel (0, 0) = 20 * its label."""
    files = {}
    for prefix, count, train in (("train", train_count, True), ("t10k", test_count, False)):
        labels = np.array(labels_for(count, train))
        pixels = np.zeros((count, 28, 28), np.uint8)
        pixels[:, 0, 0] = labels * 20
        files[f"{prefix}-images-idx3-ubyte"] = idx_images(pixels)
        files[f"{prefix}-labels-idx1-ubyte"] = idx_labels(labels)
    return files


def cifar_records(count: int, train: bool, batch: int = 0) -> np.ndarray:
    """CIFAR-10 binary records: labels as :func:`labels_for` (shifted by the batch), a pattern."""
    index = np.arange(count)
    records = np.empty((count, CIFAR10_RECORD_BYTES), np.uint8)
    records[:, 0] = labels_for(count, train)
    records[:, 1:] = (index[:, None] + batch + np.arange(3072)[None, :] // 7) % 256
    return records


def fake_cifar_files(records: int = 6) -> dict[str, bytes]:
    """The six binary batches, ``records`` records each."""
    files = {f"data_batch_{i}.bin": cifar_records(records, True, i).tobytes() for i in range(1, 6)}
    files["test_batch.bin"] = cifar_records(records, False).tobytes()
    return files


def tiny_spec(spec: DatasetSpec, files: dict[str, bytes]) -> DatasetSpec:
    """``spec`` expecting ``files`` (their sizes and md5s) instead of the real ones."""
    return dataclasses.replace(
        spec, files={name: (len(payload), md5(payload)) for name, payload in files.items()}
    )


def write_files(folder: Path, files: dict[str, bytes], packed: bool = False) -> Path:
    """Write ``files`` into ``folder`` (gzipped as ``name.gz`` when ``packed``); return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, payload in files.items():
        if packed:
            (folder / f"{name}.gz").write_bytes(gzip.compress(payload, 1))
        else:
            (folder / name).write_bytes(payload)
    return folder


def tar_gz(members: dict[str, bytes]) -> bytes:
    """A .tar.gz archive holding ``members`` (path inside the archive -> bytes)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry below ``folder`` with its size and mtime: to prove nothing was written there."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
    }
