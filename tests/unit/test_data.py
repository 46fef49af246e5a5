"""The data ladder (cache -> mirror -> download -> stand-in), once for each dataset.

Every test runs on tiny fake files and a spec that expects them (``fakes.tiny_spec``); the unit
tests' conftest blocks the network and gives each test its own data directory. The tests using
the ``real_mirror`` fixture read the real mirror named by ``COURSE_DATA_MIRROR`` (the Makefile
sets it when the mirror is on this machine) and skip without it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import gzip
import http.server
import io
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fakes import (
    fake_cifar_files,
    fake_mnist_files,
    labels_for,
    md5,
    snapshot,
    tar_gz,
    tiny_spec,
    write_files,
)

from course_utils import data
from course_utils.config import ConfigError
from course_utils.datasets import CIFAR10_FILES, MNIST_FILES
from course_utils.errors import DatasetFileError


@dataclass
class Fake:
    """One dataset under test: its tiny spec (installed in ``data``), files and loader."""

    spec: data.DatasetSpec
    files: dict[str, bytes]
    loader: Callable
    train_count: int
    test_count: int

    def names(self, train: bool) -> list[str]:
        return list(self.spec.split_files(train))

    def labels(self, train: bool) -> list[int]:
        """The labels the fake split holds (CIFAR-10's training split: five batches)."""
        if self.spec.name == "MNIST":
            return labels_for(self.train_count if train else self.test_count, train)
        return labels_for(6, True) * 5 if train else labels_for(6, False)

    def cache(self, root: Path) -> Path:
        return root / self.spec.folder


def _make_fake(name: str) -> tuple[str, Fake]:
    if name == "MNIST":
        files = fake_mnist_files(30, 10)
        return "MNIST", Fake(tiny_spec(data.MNIST, files), files, data.mnist, 30, 10)
    files = fake_cifar_files(6)
    return "CIFAR10", Fake(tiny_spec(data.CIFAR10, files), files, data.cifar10, 30, 6)


@pytest.fixture(params=["MNIST", "CIFAR-10"])
def fake(request, monkeypatch) -> Fake:
    attribute, dataset = _make_fake(request.param)
    monkeypatch.setattr(data, attribute, dataset.spec)
    return dataset


@pytest.fixture
def mirror(tmp_path, monkeypatch, fake) -> Path:
    """A mirror holding the fake dataset gzipped, as the real one is."""
    folder = tmp_path / "mirror"
    write_files(folder / fake.spec.folder, fake.files, packed=True)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(folder))
    return folder


def lines(capsys) -> list[str]:
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out.splitlines()


def leftovers(folder: Path) -> list[str]:
    """Temporary files or scratch folders a loader left behind."""
    return [p.name for p in folder.rglob("*") if ".partial" in p.name or ".download-" in p.name]


# ------------------------------------------------------------------------------------ the cache


@pytest.mark.parametrize("train", [True, False])
def test_cached_files_are_used(fake, data_root, capsys, train):
    write_files(fake.cache(data_root), fake.files)
    dataset = fake.loader(train=train)
    assert dataset.source == "cache" and not data.is_standin(dataset)
    count = fake.train_count if train else fake.test_count
    assert [int(t) for t in dataset.targets] == fake.labels(train)
    split = "train" if train else "test"
    assert lines(capsys) == [
        f"[data] {fake.spec.name} {split}: {count:,} images from {fake.cache(data_root)}"
    ]


def test_an_incomplete_cache_is_completed_from_the_mirror(fake, data_root, mirror, capsys):
    first, *rest = fake.names(True)
    write_files(fake.cache(data_root), {first: fake.files[first]})
    assert fake.loader(train=True).source == "mirror"
    assert (fake.cache(data_root) / rest[0]).read_bytes() == fake.files[rest[0]]


@pytest.mark.parametrize(
    "damage", ["truncated", "flipped byte", "zeroed", "bad header"], ids=lambda d: d
)
def test_a_damaged_cache_file_is_named(fake, data_root, damage):
    broken = fake.names(True)[0]
    files = dict(fake.files)
    payload = bytearray(files[broken])
    if damage == "truncated":
        payload = payload[:-5]
    elif damage == "flipped byte":
        payload[len(payload) // 2] ^= 0xFF
    elif damage == "zeroed":
        payload = bytearray(len(payload))
    else:
        payload[:4] = b"\xff\xff\xff\xff"
    files[broken] = bytes(payload)
    write_files(fake.cache(data_root), files)
    with pytest.raises(DatasetFileError, match="truncated or corrupt") as caught:
        fake.loader(train=True)
    assert str(fake.cache(data_root) / broken) in str(caught.value)
    assert "Delete it and rerun" in str(caught.value)


def test_the_cache_checks_labels_out_of_range_cifar(monkeypatch, data_root):
    """A right-sized CIFAR-10 batch whose label bytes are wrong is caught, naming the file."""
    files = fake_cifar_files(6)
    records = np.frombuffer(files["test_batch.bin"], np.uint8).reshape(6, -1).copy()
    records[2, 0] = 168
    files["test_batch.bin"] = records.tobytes()
    monkeypatch.setattr(data, "CIFAR10", tiny_spec(data.CIFAR10, files))  # md5 of the bad file
    write_files(data_root / "cifar-10-batches-bin", files)
    with pytest.raises(DatasetFileError, match="label 168") as caught:
        data.cifar10(train=False)
    assert "test_batch.bin" in str(caught.value)


# ----------------------------------------------------------------------------------- the mirror


def test_the_mirror_is_unpacked_checked_and_left_untouched(fake, data_root, mirror, capsys):
    before = snapshot(mirror)
    first = fake.loader(train=True)
    assert first.source == "mirror"
    assert lines(capsys) == [
        f"[data] {fake.spec.name} train: {fake.train_count:,} images unpacked from the mirror "
        f"{mirror}"
    ]
    for name in fake.names(True):
        assert (fake.cache(data_root) / name).read_bytes() == fake.files[name]
    assert fake.loader(train=True).source == "cache"
    assert snapshot(mirror) == before
    assert leftovers(data_root) == []


def test_unpacked_mirror_files_are_accepted_too(fake, data_root, tmp_path, monkeypatch):
    write_files(tmp_path / "plain" / fake.spec.folder, fake.files)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "plain"))
    dataset = fake.loader(train=False)
    assert dataset.source == "mirror" and [int(t) for t in dataset.targets] == fake.labels(False)


def _damaged_deflate(payload: bytes) -> bytes:
    packed = bytearray(gzip.compress(payload))
    for index in range(20, min(60, len(packed) - 8)):
        packed[index] ^= 0xFF
    return bytes(packed)


CORRUPT_GZ = {
    "not-gzip": lambda payload: b"this is not a gzip file" * 10,
    "truncated-gzip": lambda payload: gzip.compress(payload)[: len(gzip.compress(payload)) // 2],
    "damaged-deflate": _damaged_deflate,
    "empty": lambda payload: b"",
    "wrong-content": lambda payload: gzip.compress(payload[:-1] + bytes([payload[-1] ^ 1])),
}


@pytest.mark.parametrize("corruption", list(CORRUPT_GZ))
def test_a_corrupt_mirror_file_is_named_and_nothing_half_written_stays(
    fake, data_root, mirror, corruption
):
    broken = fake.names(True)[-1]
    path = mirror / fake.spec.folder / f"{broken}.gz"
    path.write_bytes(CORRUPT_GZ[corruption](fake.files[broken]))
    with pytest.raises(DatasetFileError) as caught:
        fake.loader(train=True)
    message = str(caught.value)
    assert str(path) in message and "corrupt" in message and "COURSE_DATA_MIRROR" in message
    assert not (fake.cache(data_root) / broken).exists()
    assert leftovers(data_root) == []


def test_a_mirror_lacking_a_file_says_what_is_missing(fake, data_root, mirror, capsys):
    missing = fake.names(True)[0]
    (mirror / fake.spec.folder / f"{missing}.gz").unlink()
    said = f"{mirror / fake.spec.folder} lacks {missing}"
    if set(fake.names(True)) != set(fake.names(False)):  # CIFAR-10: its test split is real
        with pytest.raises(DatasetFileError, match="will not mix") as caught:
            fake.loader(train=True)
        assert said in str(caught.value)
        return
    dataset = fake.loader(train=True)
    assert data.is_standin(dataset)
    (line,) = lines(capsys)
    assert said in line and "OFFLINE STAND-IN" in line and "download failed" in line


def test_a_mirror_that_is_not_a_folder_is_an_error(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "no-such-mirror"))
    with pytest.raises(DatasetFileError, match="COURSE_DATA_MIRROR=.*is not a folder"):
        fake.loader(train=True)


def test_real_and_standin_splits_are_never_mixed(monkeypatch, tmp_path):
    """A mirror with only CIFAR-10's test batch: the test split is real, training is refused."""
    files = fake_cifar_files(6)
    monkeypatch.setattr(data, "CIFAR10", tiny_spec(data.CIFAR10, files))
    folder = tmp_path / "mirror"
    write_files(folder / "cifar-10-batches-bin", {"test_batch.bin": files["test_batch.bin"]}, True)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(folder))
    assert data.cifar10(train=False).source == "mirror"
    with pytest.raises(DatasetFileError, match="will not mix real and stand-in"):
        data.cifar10(train=True)


def _refuse(path_part: str, error: OSError, mode_prefix: str):
    """A Path.open that raises ``error`` for paths containing ``path_part`` opened in a mode."""
    real_open = Path.open

    def fake_open(self, mode="r", *args, **kwargs):
        if path_part in str(self) and mode.startswith(mode_prefix):
            raise error
        return real_open(self, mode, *args, **kwargs)

    return fake_open


def test_an_unreadable_mirror_file_is_not_called_corrupt(fake, data_root, mirror, monkeypatch):
    """(Root reads anything, so the refusal is simulated; the message is what is tested.)"""
    denied = PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(gzip, "open", lambda *a, **k: (_ for _ in ()).throw(denied))
    with pytest.raises(DatasetFileError) as caught:
        fake.loader(train=True)
    message = str(caught.value)
    assert "cannot be read (Permission denied)" in message and "chmod" in message
    assert "corrupt" not in message


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (errno.EACCES, r"is not writable \(Permission denied\)"),
        (errno.EROFS, "is not writable"),
        (errno.ENOSPC, "no space left on the disk"),
    ],
)
def test_write_failures_name_their_cause(fake, data_root, mirror, monkeypatch, code, expected):
    kind = PermissionError if code == errno.EACCES else OSError
    error = kind(code, os.strerror(code))
    monkeypatch.setattr(Path, "open", _refuse(str(data_root), error, "w"))
    with pytest.raises(DatasetFileError, match=expected) as caught:
        fake.loader(train=True)
    assert "COURSE_DATA_DIR" in str(caught.value) and "corrupt" not in str(caught.value)


class _FillsUp:
    """A file handle whose disk fills up on the first write."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, block):
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self):
        self.handle.close()


def test_a_full_disk_midway_leaves_no_partial_file(fake, data_root, mirror, monkeypatch):
    real_open = Path.open

    def open_full(self, mode="r", *args, **kwargs):
        handle = real_open(self, mode, *args, **kwargs)
        return _FillsUp(handle) if ".partial" in self.name else handle

    monkeypatch.setattr(Path, "open", open_full)
    with pytest.raises(DatasetFileError, match="no space left on the disk"):
        fake.loader(train=True)
    assert leftovers(data_root) == []
    assert not any(path.is_file() for path in fake.cache(data_root).iterdir())


def test_a_data_directory_that_cannot_be_created_is_named(fake, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_DATA_DIR", str(blocker / "data"))
    with pytest.raises(DatasetFileError, match="cannot be created.*COURSE_DATA_DIR"):
        fake.loader(train=True)


@pytest.mark.parametrize("inside", ["", "sub/folder"])
def test_the_data_directory_may_not_be_the_mirror(fake, mirror, monkeypatch, inside):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mirror / inside))
    before = snapshot(mirror)
    with pytest.raises(DatasetFileError, match="read-only mirror"):
        fake.loader(train=True)
    assert snapshot(mirror) == before


# ---------------------------------------------------------------------------------- concurrency


class _ReadBytes:
    """A dataset that is just the md5 of the training images' file, read as the loader found it."""

    def __init__(self, root: Path, train: bool, transform) -> None:
        self.md5 = md5((root / "MNIST" / "raw" / "train-images-idx3-ubyte").read_bytes())

    def __len__(self) -> int:
        return 1


def _race(spec: data.DatasetSpec, barrier, results) -> None:
    """One racer: wait for the others, then load the dataset and report what it read."""
    barrier.wait()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            results.put(data.load(spec, train=True).md5)
    except Exception as error:  # reported, and the test fails on it
        results.put(repr(error))


def test_processes_filling_an_empty_data_directory_at_once_all_get_the_real_images(
    tmp_path, monkeypatch
):
    """Real processes (forked, so they start at once) race to unpack one mirror into one empty
    data directory; every one must read complete, correct files."""
    files = fake_mnist_files(20_000, 2_000)  # 15.7 MB of training images: unpacking takes a while
    spec = dataclasses.replace(tiny_spec(data.MNIST, files), read=_ReadBytes)
    mirror = write_files(tmp_path / "mirror" / "MNIST" / "raw", files, packed=True).parents[1]
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    context = multiprocessing.get_context("fork")
    for trial in range(3):
        monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / f"data-{trial}"))
        barrier, results = context.Barrier(4), context.Queue()
        racers = [context.Process(target=_race, args=(spec, barrier, results)) for _ in range(4)]
        for racer in racers:
            racer.start()
        seen = [results.get(timeout=60) for _ in racers]
        for racer in racers:
            racer.join(timeout=60)
        assert seen == [md5(files["train-images-idx3-ubyte"])] * 4
        assert leftovers(tmp_path / f"data-{trial}") == []


# ------------------------------------------------------------------------------------- download


def _packed_for_download(fake: Fake) -> dict[str, bytes]:
    """What the fake server holds: MNIST's four .gz files, or CIFAR-10's binary tarball."""
    if fake.spec.name == "MNIST":
        return {f"{name}.gz": gzip.compress(payload) for name, payload in fake.files.items()}
    members = {f"cifar-10-batches-bin/{name}": payload for name, payload in fake.files.items()}
    members["cifar-10-batches-bin/readme.html"] = b"<p>not extracted</p>"
    return {"cifar-10-binary.tar.gz": tar_gz(members)}


class _Server:
    """A web server on 127.0.0.1 serving ``files`` at /NAME, optionally trickling them."""

    def __init__(self, files: dict[str, bytes], trickle: float = 0.0):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server calls
                payload = files.get(self.path.rsplit("/", 1)[-1])
                if payload is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    for index in range(len(payload)):
                        if outer.stop.is_set():
                            return
                        self.wfile.write(payload[index : index + 1] if trickle else payload)
                        if not trickle:
                            return
                        self.wfile.flush()
                        time.sleep(trickle)
                except (BrokenPipeError, ConnectionResetError):
                    return

            def log_message(self, *args):
                pass

        self.stop = threading.Event()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve(monkeypatch) -> Iterator[Callable[..., _Server]]:
    servers = []

    def start(files: dict[str, bytes], trickle: float = 0.0) -> _Server:
        server = _Server(files, trickle)
        servers.append(server)
        monkeypatch.setattr(data, "MNIST_URLS", ["http://127.0.0.1:9/", server.url])
        monkeypatch.setattr(data, "CIFAR10_BINARY_URL", server.url + "cifar-10-binary.tar.gz")
        return server

    yield start
    for server in servers:
        server.close()


def test_a_download_is_checked_and_unpacked_into_the_cache(fake, data_root, serve, capsys):
    serve(_packed_for_download(fake))
    dataset = fake.loader(train=True)
    assert dataset.source == "download"
    assert lines(capsys) == [
        f"[data] {fake.spec.name} train: {fake.train_count:,} images downloaded"
    ]
    for name in fake.names(True):
        assert (fake.cache(data_root) / name).read_bytes() == fake.files[name]
    assert not (data_root / "cifar-10-batches-bin" / "readme.html").exists()
    assert leftovers(data_root) == []
    assert fake.loader(train=True).source == "cache"


def test_a_corrupt_download_falls_back_and_says_so(fake, data_root, serve, capsys):
    packed = _packed_for_download(fake)
    name = next(iter(packed))
    packed[name] = packed[name][:-40] + bytes(40)
    serve(packed)
    assert data.is_standin(fake.loader(train=True))
    (line,) = lines(capsys)
    assert "corrupt download" in line or "download failed" in line
    assert leftovers(data_root) == []


def test_a_trickling_server_cannot_hold_the_loader_past_its_deadline(
    fake, data_root, serve, monkeypatch, capsys
):
    serve(_packed_for_download(fake), trickle=0.05)  # 20 bytes a second: every read succeeds
    monkeypatch.setenv("COURSE_DOWNLOAD_TIMEOUT", "1")
    monkeypatch.setenv("COURSE_DOWNLOAD_DEADLINE", "1.5")
    start = time.monotonic()
    dataset = fake.loader(train=True)
    assert time.monotonic() - start < 6
    assert data.is_standin(dataset)
    (line,) = lines(capsys)
    assert "COURSE_DOWNLOAD_DEADLINE=1.5" in line
    assert leftovers(data_root) == [] and not any(data_root.rglob("*.gz"))


def test_no_network_falls_back_to_the_standin_at_once(fake, capsys):
    start = time.monotonic()
    dataset = fake.loader(train=False)
    assert time.monotonic() - start < 10
    assert data.is_standin(dataset)
    (line,) = lines(capsys)
    assert line.startswith(f"[data] {fake.spec.name} test: ")
    assert "from the OFFLINE STAND-IN (no " in line
    assert "no mirror (COURSE_DATA_MIRROR unset)" in line and "download failed" in line
    assert fake.spec.standin_note in line


def test_timeout_zero_means_never_download(fake, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DOWNLOAD_TIMEOUT", "0")
    monkeypatch.setattr(data, "_fetch", lambda *args: pytest.fail("a download was attempted"))
    assert data.is_standin(fake.loader(train=True))
    assert "downloads off (COURSE_DOWNLOAD_TIMEOUT=0)" in lines(capsys)[0]


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf"])
def test_an_invalid_download_timeout_is_refused(fake, monkeypatch, value):
    monkeypatch.setenv("COURSE_DOWNLOAD_TIMEOUT", value)
    with pytest.raises(ConfigError, match="COURSE_DOWNLOAD_TIMEOUT"):
        fake.loader(train=True)


def test_programming_errors_in_a_download_are_not_hidden(fake, monkeypatch):
    monkeypatch.setattr(data, "_fetch", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        fake.loader(train=True)


# ------------------------------------------------------------------------------------ stand-ins


def test_the_standin_has_the_real_datasets_shape_and_classes(fake):
    dataset = fake.loader(train=True)
    image, label = dataset[0]
    real_size = (28, 28) if fake.spec.name == "MNIST" else (32, 32)
    assert image.size == real_size and 0 <= label < 10 and len(dataset.classes) == 10


def test_is_standin_reads_the_source_tag():
    class Tagged:
        source = "standin"

    assert data.is_standin(Tagged()) and not data.is_standin(object())


# ---------------------------------------------------------------------------------- real mirror


def test_the_real_mnist_from_the_mirror(real_mirror, data_root):
    before = snapshot(real_mirror)
    train, test = data.mnist(train=True), data.mnist(train=False)
    assert (train.source, test.source) == ("mirror", "cache")
    assert (len(train), len(test)) == (60_000, 10_000)
    counts = np.bincount(np.asarray(test.targets), minlength=10).tolist()
    assert counts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # the mirror's README
    assert abs(train.data.float().mean().item() / 255 - 0.1307) < 1e-4
    assert {p.name for p in (data_root / "MNIST" / "raw").iterdir()} == set(MNIST_FILES)
    assert snapshot(real_mirror) == before


def test_the_real_cifar10_from_the_mirror(real_mirror, data_root):
    before = snapshot(real_mirror)
    test = data.cifar10(train=False)
    assert test.source == "mirror" and len(test) == 10_000
    assert test.targets[:10] == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]  # the mirror's README
    train = data.cifar10(train=True)
    assert len(train) == 50_000 and train.targets[:10] == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]
    assert {p.name for p in (data_root / "cifar-10-batches-bin").iterdir()} == set(CIFAR10_FILES)
    assert snapshot(real_mirror) == before


def test_standin_notice_speaks_only_for_the_standin(capsys):
    class Tagged(list):
        source = "standin"

    assert data.standin_notice(Tagged([0, 1, 2])) is True
    assert "NOTICE" in capsys.readouterr().out
    assert data.standin_notice([0, 1, 2]) is False
    assert capsys.readouterr().out == ""
