"""Unit tests of course_utils.data: every source of ``mnist()`` and ``cifar10()``.

Sources, in the order the loaders try them: files cached in the data directory, the read-only
mirror, torchvision's download, the offline stand-in. Every test runs in its own data directory
(``COURSE_DATA_DIR`` in tmp_path) with the network blocked, so nothing is ever downloaded; fake
dataset files are built here. Only the tests marked ``real_mirror`` read the real data, when the
mirror (``../shared/data`` beside the repository) is there.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import shutil
import socket
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms.functional import pil_to_tensor

from course_utils import data
from course_utils.datasets import (
    CIFAR10_CLASSES,
    CIFAR10_FILE_BYTES,
    CIFAR10_RECORD_BYTES,
    CIFAR10_TRAIN_FILES,
    ArrayImageDataset,
    CIFAR10Binary,
    DatasetFileError,
)
from course_utils.profile import REPO_ROOT
from course_utils.standins import MNIST_CLASSES

MNIST_NAMES = list(data.MNIST_FILES)
CIFAR_FOLDER = CIFAR10Binary.base_folder
RECORDS = CIFAR10_FILE_BYTES // CIFAR10_RECORD_BYTES


def _find_real_mirror() -> Path | None:
    """The real mirror (MNIST .gz originals, CIFAR-10 .bin.gz batches), if this machine has it."""
    candidates = [os.environ.get("COURSE_DATA_MIRROR"), REPO_ROOT.parent / "shared" / "data"]
    for candidate in candidates:
        if not candidate:
            continue
        folder = Path(candidate)
        wanted = [folder / "MNIST" / "raw" / f"{name}.gz" for name in MNIST_NAMES]
        wanted += [folder / CIFAR_FOLDER / f"{name}.gz" for name in data.CIFAR10_MD5]
        if all(path.is_file() for path in wanted):
            return folder.resolve()
    return None


REAL_MIRROR = _find_real_mirror()
real_mirror = pytest.mark.skipif(REAL_MIRROR is None, reason="the real data mirror is not here")


# ------------------------------------------------------------------------------------ helpers


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry below ``folder`` with its size and mtime: to prove nothing was written there."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
    }


def md5(payload: bytes) -> str:
    return hashlib.md5(payload, usedforsecurity=False).hexdigest()


def idx_images(pixels: np.ndarray) -> bytes:
    count, rows, cols = pixels.shape
    return struct.pack(">IIII", 2051, count, rows, cols) + pixels.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    return struct.pack(">II", 2049, len(labels)) + labels.astype(np.uint8).tobytes()


def mnist_labels(count: int, train: bool) -> np.ndarray:
    return (np.arange(count) + (0 if train else 3)) % 10


def fake_mnist_files(train_count: int, test_count: int) -> dict[str, bytes]:
    """Valid, unpacked MNIST IDX files; image k has pixel (0, 0) = 20 * its label."""
    files = {}
    for prefix, count, train in (("train", train_count, True), ("t10k", test_count, False)):
        labels = mnist_labels(count, train)
        pixels = np.zeros((count, 28, 28), np.uint8)
        pixels[:, 0, 0] = labels * 20
        files[f"{prefix}-images-idx3-ubyte"] = idx_images(pixels)
        files[f"{prefix}-labels-idx1-ubyte"] = idx_labels(labels)
    return files


def write_sparse(path: Path, size: int) -> None:
    """A file of ``size`` zero bytes that costs no time to write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)


def mnist_raw(root: Path) -> Path:
    return root / "MNIST" / "raw"


def damaged_deflate(payload: bytes) -> bytes:
    """A gzip file whose header is fine but whose compressed stream is garbage."""
    packed = bytearray(gzip.compress(payload))
    for index in range(20, min(60, len(packed) - 8)):
        packed[index] ^= 0xFF
    return bytes(packed)


CORRUPT_GZ = {
    "not-gzip": lambda payload: b"this is not a gzip file" * 10,
    "truncated-gzip": lambda payload: gzip.compress(payload)[: len(gzip.compress(payload)) // 2],
    "damaged-deflate": damaged_deflate,
    "empty": lambda payload: b"",
}


def cifar_records(count: int = RECORDS, offset: int = 0) -> np.ndarray:
    """CIFAR-10 binary records with labels ``(i + offset) % 10`` and a cheap-to-gzip pattern."""
    index = np.arange(count)
    records = np.empty((count, CIFAR10_RECORD_BYTES), np.uint8)
    records[:, 0] = (index + offset) % 10
    records[:, 1:] = (index[:, None] + np.arange(3072)[None, :] // 7) % 256
    return records


@pytest.fixture(scope="module")
def cifar_batch() -> dict[str, object]:
    """One valid fake CIFAR-10 batch: its records, bytes, gzip and md5 (built once)."""
    records = cifar_records()
    raw = records.tobytes()
    return {"records": records, "raw": raw, "gz": gzip.compress(raw, 1), "md5": md5(raw)}


def lines_of(capsys) -> list[str]:
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out.splitlines()


# ----------------------------------------------------------------------------------- fixtures


def _refuse_network(*args, **kwargs):
    raise OSError(errno.ENETUNREACH, "network blocked by the unit tests")


def _refuse_name_lookup(*args, **kwargs):
    raise socket.gaierror(socket.EAI_NONAME, "name lookup blocked by the unit tests")


@pytest.fixture(autouse=True)
def data_root(monkeypatch, tmp_path) -> Path:
    """A fresh data directory, no mirror, and no network: nothing here may reach the internet."""
    root = tmp_path / "data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.delenv("COURSE_DOWNLOAD_TIMEOUT", raising=False)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse_name_lookup)
    monkeypatch.setattr(socket, "create_connection", _refuse_network)
    monkeypatch.setattr(socket.socket, "connect", _refuse_network)
    return root


class FakeTorchvision:
    """Stands in for ``torchvision.datasets.MNIST``/``CIFAR10``: records calls, then acts.

    ``download_error`` is raised on ``download=True``; without it a small dataset is returned.
    """

    def __init__(self, download_error: BaseException | None = None, chatter: bool = True):
        self.download_error = download_error
        self.chatter = chatter
        self.calls: list[dict] = []

    def __call__(self, root, train=True, transform=None, download=False):
        self.calls.append(
            {"root": Path(root), "train": train, "download": download},
        )
        self.calls[-1]["timeout"] = socket.getdefaulttimeout()
        if self.chatter:  # torchvision prints progress; the loaders must keep it quiet
            print("Downloading https://example.invalid/dataset.tar.gz")
        if download and self.download_error is not None:
            raise self.download_error
        return ArrayImageDataset(np.zeros((7, 4, 4), np.uint8), [1] * 7, ["a", "b"], transform)


@pytest.fixture
def refused_mnist(monkeypatch) -> FakeTorchvision:
    fake = FakeTorchvision(urllib.error.URLError("network refused (unit test)"))
    monkeypatch.setattr(data.tv_datasets, "MNIST", fake)
    return fake


@pytest.fixture
def refused_cifar(monkeypatch) -> FakeTorchvision:
    fake = FakeTorchvision(urllib.error.URLError("network refused (unit test)"))
    monkeypatch.setattr(data.tv_datasets, "CIFAR10", fake)
    return fake


@pytest.fixture
def corrupt_mirror(tmp_path) -> Path:
    """A mirror whose every file is garbage: using it at all would raise."""
    mirror = tmp_path / "corrupt-mirror"
    for name in MNIST_NAMES:
        path = mirror / "MNIST" / "raw" / f"{name}.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"garbage")
    (mirror / CIFAR_FOLDER).mkdir()
    for name in data.CIFAR10_MD5:
        (mirror / CIFAR_FOLDER / f"{name}.gz").write_bytes(b"garbage")
    return mirror


# ============================================================================ MNIST: the cache


@pytest.fixture(scope="module")
def mnist_cache_root(tmp_path_factory) -> Path:
    """A data directory with full-size, valid fake MNIST files already unpacked (read-only use)."""
    root = tmp_path_factory.mktemp("mnist-cache")
    raw = mnist_raw(root)
    raw.mkdir(parents=True)
    for name, payload in fake_mnist_files(60_000, 10_000).items():
        assert len(payload) == data.MNIST_FILES[name][0]
        (raw / name).write_bytes(payload)
    return root


def test_mnist_from_cache(mnist_cache_root, corrupt_mirror, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mnist_cache_root))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(corrupt_mirror))  # the cache comes first
    before = snapshot(mnist_cache_root)
    train = data.mnist(train=True)
    test = data.mnist(train=False, transform=pil_to_tensor)
    assert train.source == "cache"
    assert test.source == "cache"
    assert len(train) == 60_000
    assert len(test) == 10_000
    assert train.targets[:12].tolist() == mnist_labels(12, train=True).tolist()
    assert test.targets[:12].tolist() == mnist_labels(12, train=False).tolist()
    image, label = train[7]
    assert isinstance(image, Image.Image)
    assert image.mode == "L"
    assert image.getpixel((0, 0)) == 20 * label
    tensor, label = test[4]
    assert tensor.shape == (1, 28, 28)
    assert tensor[0, 0, 0] == 20 * label
    raw = mnist_raw(mnist_cache_root.resolve())
    assert lines_of(capsys) == [
        f"[data] MNIST train: 60,000 images from {raw}",
        f"[data] MNIST test: 10,000 images from {raw}",
    ]
    assert snapshot(mnist_cache_root) == before


@pytest.mark.parametrize("broken", MNIST_NAMES)
def test_mnist_truncated_cached_file(data_root, broken):
    raw = mnist_raw(data_root)
    for name, (size, _) in data.MNIST_FILES.items():
        write_sparse(raw / name, size // 2 if name == broken else size)
    with pytest.raises(DatasetFileError) as caught:
        data.mnist()
    message = str(caught.value)
    assert str(raw / broken) in message
    assert "Delete" in message
    assert f"expected {data.MNIST_FILES[broken][0]:,} bytes" in message


def test_mnist_corrupt_cached_file_of_the_right_size(data_root):
    raw = mnist_raw(data_root)
    for name, (size, _) in data.MNIST_FILES.items():
        write_sparse(raw / name, size)  # all zeros: no IDX header
    with pytest.raises(DatasetFileError) as caught:
        data.mnist(train=False)
    assert str(raw) in str(caught.value)
    assert "Delete" in str(caught.value)


def test_mnist_incomplete_cache_is_not_used(data_root, refused_mnist, capsys):
    raw = mnist_raw(data_root)
    for name, (size, _) in list(data.MNIST_FILES.items())[:3]:
        write_sparse(raw / name, size)
    assert data.mnist().source == "standin"  # no error about the three files: they wait
    assert "OFFLINE STAND-IN" in capsys.readouterr().out


# =========================================================================== MNIST: the mirror


@real_mirror
def test_mnist_from_the_real_mirror(data_root, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(REAL_MIRROR))
    before = snapshot(REAL_MIRROR)
    train = data.mnist(train=True)
    assert train.source == "mirror"
    assert len(train) == 60_000
    assert train.targets[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert torch.bincount(train.targets).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949,
    ]  # fmt: skip
    test = data.mnist(train=False)
    assert test.source == "cache"  # all four files were unpacked by the first call
    assert len(test) == 10_000
    assert torch.bincount(test.targets).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009,
    ]  # fmt: skip
    again = data.mnist(train=True)
    assert again.source == "cache"
    torch.testing.assert_close(again.data, train.data)
    for name, (size, _) in data.MNIST_FILES.items():
        assert (mnist_raw(data_root) / name).stat().st_size == size
    lines = lines_of(capsys)
    assert lines[0] == f"[data] MNIST train: 60,000 images unpacked from the mirror {REAL_MIRROR}"
    assert len(lines) == 3
    assert snapshot(REAL_MIRROR) == before
    shutil.rmtree(data_root)  # 55 MB that pytest would otherwise keep for three runs


def make_mnist_mirror(folder: Path, files: dict[str, bytes]) -> Path:
    raw = folder / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, payload in files.items():
        (raw / f"{name}.gz").write_bytes(payload)
    return folder


@pytest.fixture
def tiny_mnist_mirror(tmp_path, monkeypatch) -> Path:
    """A valid mirror of a tiny MNIST (12 train, 5 test), with MNIST_FILES patched to match."""
    unpacked = fake_mnist_files(12, 5)
    packed = {name: gzip.compress(payload) for name, payload in unpacked.items()}
    for name in MNIST_NAMES:
        monkeypatch.setitem(data.MNIST_FILES, name, (len(unpacked[name]), md5(packed[name])))
    mirror = make_mnist_mirror(tmp_path / "mirror", packed)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    return mirror


def test_mnist_from_a_fake_mirror_then_cache(data_root, tiny_mnist_mirror, capsys):
    before = snapshot(tiny_mnist_mirror)
    first = data.mnist(train=True)
    assert first.source == "mirror"
    assert len(first) == 12
    assert first.targets.tolist() == mnist_labels(12, train=True).tolist()
    assert first[3][0].getpixel((0, 0)) == 60
    for name in MNIST_NAMES:
        assert (mnist_raw(data_root) / name).is_file()
    assert not list(mnist_raw(data_root).glob("*.partial"))
    second = data.mnist(train=True)
    assert second.source == "cache"
    test = data.mnist(train=False)
    assert test.source == "cache"
    assert len(test) == 5
    lines = lines_of(capsys)
    assert lines[0] == (
        f"[data] MNIST train: 12 images unpacked from the mirror {tiny_mnist_mirror.resolve()}"
    )
    assert len(lines) == 3
    assert snapshot(tiny_mnist_mirror) == before


@pytest.mark.parametrize("content", ["valid-gzip", "not-gzip", "empty"])
def test_fake_mnist_mirror_fails_the_md5_check(data_root, tmp_path, monkeypatch, content):
    """The real md5s: any fake mirror is refused, naming the file (the corrupt-mirror case)."""
    files = {name: gzip.compress(p) for name, p in fake_mnist_files(12, 5).items()}
    if content != "valid-gzip":
        files = {name: CORRUPT_GZ[content](payload) for name, payload in files.items()}
    mirror = make_mnist_mirror(tmp_path / "mirror", files)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    before = snapshot(mirror)
    with pytest.raises(DatasetFileError) as caught:
        data.mnist()
    message = str(caught.value)
    assert str(mirror.resolve() / "MNIST" / "raw" / "train-images-idx3-ubyte.gz") in message
    assert "md5" in message
    assert snapshot(mirror) == before
    assert not mnist_raw(data_root).exists() or not any(mnist_raw(data_root).iterdir())


@pytest.mark.parametrize("broken", MNIST_NAMES)
def test_mnist_mirror_md5_error_names_the_broken_file(data_root, tiny_mnist_mirror, broken):
    path = tiny_mnist_mirror / "MNIST" / "raw" / f"{broken}.gz"
    packed = path.read_bytes()
    path.write_bytes(packed[:-1] + bytes([packed[-1] ^ 0xFF]))  # one bit flipped
    before = snapshot(tiny_mnist_mirror)
    with pytest.raises(DatasetFileError) as caught:
        data.mnist()
    assert str(path.resolve()) in str(caught.value)
    assert snapshot(tiny_mnist_mirror) == before


@pytest.mark.parametrize("corruption", ["not-gzip", "truncated-gzip", "damaged-deflate"])
def test_mnist_corrupt_gz_in_mirror_is_named(data_root, tiny_mnist_mirror, monkeypatch, corruption):
    """A .gz that passes the md5 check (patched here) but cannot be unpacked."""
    name = "t10k-images-idx3-ubyte"
    path = tiny_mnist_mirror / "MNIST" / "raw" / f"{name}.gz"
    broken = CORRUPT_GZ[corruption](fake_mnist_files(12, 5)[name])
    path.write_bytes(broken)
    monkeypatch.setitem(data.MNIST_FILES, name, (data.MNIST_FILES[name][0], md5(broken)))
    before = snapshot(tiny_mnist_mirror)
    with pytest.raises(DatasetFileError, match="could not be unpacked") as caught:
        data.mnist()
    assert str(path.resolve()) in str(caught.value)
    assert not (mnist_raw(data_root) / name).exists()
    assert not list(mnist_raw(data_root).glob("*.partial"))  # no half-written file left
    assert snapshot(tiny_mnist_mirror) == before


def test_mnist_incomplete_mirror_is_skipped(data_root, tiny_mnist_mirror, refused_mnist):
    (tiny_mnist_mirror / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").unlink()
    assert data.mnist().source == "standin"
    assert len(refused_mnist.calls) == 1  # the download was tried after the mirror


# ========================================================================= MNIST: the download


@pytest.mark.parametrize("train", [True, False])
def test_mnist_download_refused_gives_the_standin(data_root, refused_mnist, capsys, train):
    ds = data.mnist(train=train)
    assert ds.source == "standin"
    assert len(ds) == (1437 if train else 360)
    lines = lines_of(capsys)
    assert len(lines) == 1
    assert "OFFLINE STAND-IN" in lines[0]
    assert lines[0].startswith(f"[data] MNIST {'train' if train else 'test'}: ")
    [call] = refused_mnist.calls
    assert call["download"] is True
    assert call["train"] is train
    assert call["root"] == data_root.resolve()


def test_mnist_download_refused_by_the_network(data_root, capsys):
    """Real torchvision, real download attempt, sockets blocked by the autouse fixture."""
    ds = data.mnist(train=False)
    assert ds.source == "standin"
    lines = lines_of(capsys)  # torchvision's "Downloading ..." / "Failed ..." are swallowed
    assert len(lines) == 1
    assert "OFFLINE STAND-IN" in lines[0]


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("Error downloading train-images-idx3-ubyte.gz"),
        TimeoutError("timed out"),
        ValueError("md5 mismatch"),
        ConnectionResetError("reset"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_mnist_other_download_failures_give_the_standin(monkeypatch, error):
    monkeypatch.setattr(data.tv_datasets, "MNIST", FakeTorchvision(error))
    assert data.mnist().source == "standin"


def test_mnist_programming_errors_in_the_download_are_not_hidden(monkeypatch):
    monkeypatch.setattr(data.tv_datasets, "MNIST", FakeTorchvision(KeyError("bug")))
    with pytest.raises(KeyError, match="bug"):
        data.mnist()


def test_download_socket_timeout_is_set_then_restored(refused_mnist, monkeypatch):
    previous = socket.getdefaulttimeout()
    try:
        socket.setdefaulttimeout(None)
        data.mnist()
        assert refused_mnist.calls[-1]["timeout"] == 10.0
        assert socket.getdefaulttimeout() is None
        monkeypatch.setenv("COURSE_DOWNLOAD_TIMEOUT", "2.5")
        data.mnist()
        assert refused_mnist.calls[-1]["timeout"] == 2.5
        assert socket.getdefaulttimeout() is None
    finally:
        socket.setdefaulttimeout(previous)


def test_mnist_download_success(data_root, monkeypatch, capsys):
    fake = FakeTorchvision(download_error=None)
    monkeypatch.setattr(data.tv_datasets, "MNIST", fake)
    ds = data.mnist(train=False, transform=pil_to_tensor)
    assert ds.source == "download"
    assert len(ds) == 7
    assert ds[0][0].shape == (1, 4, 4)  # the transform was passed on
    assert lines_of(capsys) == ["[data] MNIST test: 7 images downloaded by torchvision"]
    assert fake.calls[0]["download"] is True


# ========================================================================= MNIST: the stand-in


def test_mnist_standin_through_the_loader(refused_mnist, capsys):
    train = data.mnist(train=True)
    test = data.mnist(train=False, transform=pil_to_tensor)
    again = data.mnist(train=True)
    assert train.data.shape == (1437, 28, 28)
    assert test.data.shape == (360, 28, 28)
    assert train.data.dtype == np.uint8
    assert train.classes == MNIST_CLASSES
    assert sorted(set(train.targets)) == list(range(10))
    assert all(isinstance(t, int) for t in train.targets)
    image, label = train[0]
    assert image.mode == "L"
    assert label == train.targets[0]
    tensor, _ = test[0]
    assert tensor.shape == (1, 28, 28)
    np.testing.assert_array_equal(again.data, train.data)  # deterministic
    assert again.targets == train.targets
    assert sum("OFFLINE STAND-IN" in line for line in lines_of(capsys)) == 3


# ========================================================================= CIFAR-10: the cache


def write_cifar_cache(root: Path, name: str, raw: bytes) -> Path:
    path = root / CIFAR_FOLDER / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


def test_cifar10_from_cache(data_root, cifar_batch, corrupt_mirror, monkeypatch, capsys):
    write_cifar_cache(data_root, "test_batch.bin", cifar_batch["raw"])
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(corrupt_mirror))  # the cache comes first
    ds = data.cifar10(train=False)
    assert ds.source == "cache"
    assert isinstance(ds, CIFAR10Binary)
    assert len(ds) == 10_000
    assert ds.classes == CIFAR10_CLASSES
    assert ds.targets[:12] == [i % 10 for i in range(12)]
    records = cifar_batch["records"]
    np.testing.assert_array_equal(ds.data[3].transpose(2, 0, 1).reshape(-1), records[3, 1:])
    image, label = ds[3]
    assert image.mode == "RGB"
    assert label == 3
    folder = data_root.resolve() / CIFAR_FOLDER
    assert lines_of(capsys) == [f"[data] CIFAR-10 test: 10,000 images from {folder}"]


def test_cifar10_truncated_cached_test_batch(data_root, cifar_batch):
    path = write_cifar_cache(data_root, "test_batch.bin", cifar_batch["raw"][:-3073])
    with pytest.raises(DatasetFileError) as caught:
        data.cifar10(train=False)
    assert str(path) in str(caught.value)
    assert "Delete" in str(caught.value)


def test_cifar10_truncated_cached_train_batch(data_root):
    for name in CIFAR10_TRAIN_FILES:
        size = CIFAR10_FILE_BYTES - 1 if name == "data_batch_3.bin" else CIFAR10_FILE_BYTES
        write_sparse(data_root / CIFAR_FOLDER / name, size)
    with pytest.raises(DatasetFileError) as caught:
        data.cifar10(train=True)
    message = str(caught.value)
    assert str(data_root / CIFAR_FOLDER / "data_batch_3.bin") in message
    assert "Delete" in message
    assert "30,729,999 bytes" in message


def test_cifar10_torchvision_cache_is_used(data_root, monkeypatch, capsys):
    (data_root / "cifar-10-batches-py").mkdir(parents=True)
    fake = FakeTorchvision(chatter=False)
    monkeypatch.setattr(data.tv_datasets, "CIFAR10", fake)
    ds = data.cifar10(train=True)
    assert ds.source == "cache"
    assert fake.calls == [
        {"root": data_root.resolve(), "train": True, "download": False, "timeout": None}
    ]
    folder = data_root.resolve() / "cifar-10-batches-py"
    assert lines_of(capsys) == [f"[data] CIFAR-10 train: 7 images from {folder}"]


def test_cifar10_corrupt_torchvision_cache(data_root):
    folder = data_root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    (folder / "test_batch").write_bytes(b"not a pickle")
    with pytest.raises(DatasetFileError) as caught:
        data.cifar10(train=False)
    assert str(folder.resolve()) in str(caught.value)
    assert "Delete" in str(caught.value)


# ======================================================================== CIFAR-10: the mirror


@real_mirror
def test_cifar10_from_the_real_mirror(data_root, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(REAL_MIRROR))
    before = snapshot(REAL_MIRROR)
    test = data.cifar10(train=False)
    assert test.source == "mirror"
    assert len(test) == 10_000
    assert test.targets[:10] == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]
    assert np.bincount(test.targets).tolist() == [1000] * 10
    assert data.cifar10(train=False).source == "cache"
    train = data.cifar10(train=True)
    assert train.source == "mirror"
    assert len(train) == 50_000
    assert train.targets[:10] == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]
    assert np.bincount(train.targets).tolist() == [5000] * 10
    assert train.data.shape == (50_000, 32, 32, 3)
    again = data.cifar10(train=True)
    assert again.source == "cache"
    assert again.targets[:10] == train.targets[:10]
    lines = lines_of(capsys)
    assert len(lines) == 4
    assert lines[0] == f"[data] CIFAR-10 test: 10,000 images unpacked from the mirror {REAL_MIRROR}"
    assert snapshot(REAL_MIRROR) == before
    shutil.rmtree(data_root)  # 184 MB that pytest would otherwise keep for three runs


def make_cifar_mirror(folder: Path, files: dict[str, bytes]) -> Path:
    (folder / CIFAR_FOLDER).mkdir(parents=True)
    for name, payload in files.items():
        (folder / CIFAR_FOLDER / f"{name}.gz").write_bytes(payload)
    return folder


def test_cifar10_from_a_fake_mirror_then_cache(data_root, tmp_path, monkeypatch, cifar_batch):
    mirror = make_cifar_mirror(tmp_path / "mirror", {"test_batch.bin": cifar_batch["gz"]})
    monkeypatch.setitem(data.CIFAR10_MD5, "test_batch.bin", cifar_batch["md5"])
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    before = snapshot(mirror)
    first = data.cifar10(train=False)
    assert first.source == "mirror"
    assert first.targets[:12] == [i % 10 for i in range(12)]
    records = cifar_batch["records"]
    np.testing.assert_array_equal(
        first.data.transpose(0, 3, 1, 2).reshape(RECORDS, -1)[:50], records[:50, 1:]
    )
    assert (data_root / CIFAR_FOLDER / "test_batch.bin").read_bytes() == cifar_batch["raw"]
    assert data.cifar10(train=False).source == "cache"
    assert snapshot(mirror) == before


@pytest.mark.parametrize("content", ["small-gzip", "right-size-wrong-md5"])
def test_cifar10_fake_mirror_with_wrong_content(data_root, tmp_path, monkeypatch, content):
    if content == "small-gzip":
        payload = gzip.compress(cifar_records(count=10).tobytes())
    else:
        payload = gzip.compress(bytes(CIFAR10_FILE_BYTES), 1)
    mirror = make_cifar_mirror(tmp_path / "mirror", {"test_batch.bin": payload})
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    before = snapshot(mirror)
    with pytest.raises(DatasetFileError) as caught:
        data.cifar10(train=False)
    message = str(caught.value)
    assert str(mirror.resolve() / CIFAR_FOLDER / "test_batch.bin.gz") in message
    assert "corrupt" in message
    assert not (data_root / CIFAR_FOLDER / "test_batch.bin").exists()  # not left as a "cache"
    assert snapshot(mirror) == before


@pytest.mark.parametrize("corruption", ["not-gzip", "truncated-gzip", "damaged-deflate", "empty"])
def test_cifar10_corrupt_gz_in_mirror_is_named(data_root, tmp_path, monkeypatch, corruption):
    payload = CORRUPT_GZ[corruption](cifar_records(count=50).tobytes())
    mirror = make_cifar_mirror(tmp_path / "mirror", {"test_batch.bin": payload})
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    before = snapshot(mirror)
    with pytest.raises(DatasetFileError) as caught:
        data.cifar10(train=False)
    message = str(caught.value)
    assert str(mirror.resolve() / CIFAR_FOLDER / "test_batch.bin.gz") in message
    assert not list((data_root / CIFAR_FOLDER).iterdir())  # neither the batch nor a .partial
    assert snapshot(mirror) == before


def test_cifar10_train_mirror_error_names_the_broken_batch(data_root, tmp_path, monkeypatch):
    small = gzip.compress(b"\x00" * 3073)
    files = {name: small for name in CIFAR10_TRAIN_FILES}
    files["data_batch_1.bin"] = b"not gzip at all"
    mirror = make_cifar_mirror(tmp_path / "mirror", files)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    with pytest.raises(DatasetFileError, match="data_batch_1.bin.gz"):
        data.cifar10(train=True)


def test_cifar10_incomplete_mirror_is_skipped(tmp_path, monkeypatch, refused_cifar):
    files = {name: b"never read" for name in CIFAR10_TRAIN_FILES[:4]}
    mirror = make_cifar_mirror(tmp_path / "mirror", files)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    assert data.cifar10(train=True).source == "standin"
    assert len(refused_cifar.calls) == 1


# ====================================================================== CIFAR-10: the download


@pytest.mark.parametrize("train", [True, False])
def test_cifar10_download_refused_gives_the_standin(data_root, refused_cifar, capsys, train):
    ds = data.cifar10(train=train)
    assert ds.source == "standin"
    assert len(ds) == (5000 if train else 1000)
    lines = lines_of(capsys)
    assert len(lines) == 1
    assert "OFFLINE STAND-IN" in lines[0]
    [call] = refused_cifar.calls
    assert call["download"] is True
    assert call["train"] is train
    assert call["root"] == data_root.resolve()


def test_cifar10_download_refused_by_the_network(capsys):
    """Real torchvision, real download attempt, sockets blocked by the autouse fixture."""
    ds = data.cifar10(train=False)
    assert ds.source == "standin"
    lines = lines_of(capsys)
    assert len(lines) == 1
    assert "OFFLINE STAND-IN" in lines[0]


def test_cifar10_download_success(monkeypatch, capsys):
    monkeypatch.setattr(data.tv_datasets, "CIFAR10", FakeTorchvision(download_error=None))
    ds = data.cifar10(train=True)
    assert ds.source == "download"
    assert lines_of(capsys) == ["[data] CIFAR-10 train: 7 images downloaded by torchvision"]


# ====================================================================== CIFAR-10: the stand-in


def test_cifar10_standin_through_the_loader(refused_cifar):
    train = data.cifar10(train=True)
    test = data.cifar10(train=False, transform=pil_to_tensor)
    assert train.data.shape == (5000, 32, 32, 3)
    assert test.data.shape == (1000, 32, 32, 3)
    assert train.classes == CIFAR10_CLASSES
    assert sorted(set(train.targets)) == list(range(10))
    image, label = train[0]
    assert image.mode == "RGB"
    assert label == train.targets[0]
    assert test[0][0].shape == (3, 32, 32)
    again = data.cifar10(train=True)
    np.testing.assert_array_equal(again.data, train.data)
    assert again.targets == train.targets
