"""``mnist()`` and ``cifar10()``: the real datasets from the best source this machine has.

Chapter 05 loads MNIST by hand with torchvision; these loaders do the same with a fallback ladder,
written once over a :class:`DatasetSpec`. Sources are tried in order, and one printed line names
the one in use:

1. the book's data directory (``COURSE_DATA_DIR``, default ``data/``), every file checked (size,
   md5) when it is opened;
2. the read-only mirror named by ``COURSE_DATA_MIRROR``: unpacked into 1, then checked;
3. a download, bounded per network operation (``COURSE_DOWNLOAD_TIMEOUT``) and in total
   (``COURSE_DOWNLOAD_DEADLINE``), into a private scratch folder, then unpacked into 1;
4. a small offline stand-in (:mod:`course_utils.standins`), so nothing hangs or crashes offline.
   The line says why the others failed, and the stand-in is refused when the other split of the
   same dataset is real (a session never mixes real and stand-in images silently).

Every file is written under a name private to its writer and renamed into place, so processes
that fill an empty data directory at once never see a partial file. A file that cannot be used
raises :class:`~course_utils.errors.DatasetFileError` naming it and the fix, and telling
corruption, permissions and a full disk apart. Nothing is ever written into the mirror.
To add a dataset: its facts in :mod:`course_utils.datasets`, a stand-in, one ``DatasetSpec``.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import http.client
import shutil
import tarfile
import tempfile
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from torchvision import datasets as tv_datasets
from torchvision.datasets import VisionDataset

from course_utils import config
from course_utils.datasets import (
    CIFAR10_BINARY_URL,
    CIFAR10_FILES,
    CIFAR10_TEST_FILES,
    CIFAR10_TRAIN_FILES,
    DELETE_AND_RERUN,
    MNIST_FILES,
    MNIST_URLS,
    CIFAR10Binary,
)
from course_utils.errors import DatasetFileError
from course_utils.paths import data_dir, mirror_dir, private_name
from course_utils.standins import cifar10_standin, mnist_standin

__all__ = [
    "DatasetSpec",
    "MNIST",
    "CIFAR10",
    "load",
    "mnist",
    "cifar10",
    "is_standin",
    "standin_notice",
]

Transform = Callable[[Any], Any] | None
Fetch = Callable[[str, Path], None]
RESTORE_MIRROR = "Restore it, or unset COURSE_DATA_MIRROR to download the data instead."


@dataclass(frozen=True)
class DatasetSpec:
    """What the source ladder needs to know of one dataset.

    ``files`` maps each unpacked file name to its size and md5; a mirror holds them under
    ``folder`` gzipped (``name.gz``) or as they are. ``read(root, train, transform)`` opens the
    checked files under ``root / folder``; ``download(scratch, fetch)`` leaves the files (or their
    ``.gz``) in ``scratch / folder``, using ``fetch(url, path)`` for every transfer.
    """

    name: str
    folder: str
    files: Mapping[str, tuple[int, str]]
    train_files: Sequence[str]
    test_files: Sequence[str]
    read: Callable[[Path, bool, Transform], VisionDataset]
    standin: Callable[[bool, Transform], VisionDataset]
    standin_note: str
    download: Callable[[Path, Fetch], None]

    def split_files(self, train: bool) -> Sequence[str]:
        return self.train_files if train else self.test_files


# ------------------------------------------------------------------------- writing files safely


class _CorruptFile(DatasetFileError):
    """A file's bytes are wrong (as opposed to a permission or disk problem)."""


def _write_error(error: OSError, folder: Path, what: str) -> DatasetFileError:
    """The message for a failed write into ``folder``: a full disk and permissions named apart."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DatasetFileError(
            f"no space left on the disk of {folder} while writing {what}. Free some space, or set "
            "COURSE_DATA_DIR to a folder on a disk with room."
        )
    if isinstance(error, PermissionError) or error.errno == errno.EROFS:
        return DatasetFileError(
            f"the data directory {folder} is not writable ({error.strerror}), so {what} cannot "
            "be saved there. Make it writable, or set COURSE_DATA_DIR to a folder you can write to."
        )
    return DatasetFileError(f"writing {what} into {folder} failed ({error}).")


class _Writer:
    """A file being written: a failed write is reported as a full disk or a permission problem."""

    def __init__(self, handle: IO[bytes], target: Path) -> None:
        self.handle, self.target = handle, target

    def write(self, block: bytes) -> None:
        try:
            self.handle.write(block)
        except OSError as error:
            raise _write_error(error, self.target.parent, self.target.name) from error


@contextmanager
def _atomic_file(target: Path) -> Iterator[_Writer]:
    """Write ``target`` through a private temporary file, renamed into place only when complete."""
    partial = private_name(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = partial.open("wb")
    except OSError as error:
        raise _write_error(error, target.parent, target.name) from error
    try:
        yield _Writer(handle, target)
    except BaseException:  # the caller failed: its error stands, the partial file goes
        handle.close()
        partial.unlink(missing_ok=True)
        raise
    try:
        handle.close()  # flushes the last block
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise _write_error(error, target.parent, target.name) from error


def _open_source(path: Path) -> IO[bytes]:
    """Open a mirror or downloaded file for reading, naming it when that is refused."""
    try:
        return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")
    except OSError as error:
        raise DatasetFileError(
            f"{path} cannot be read ({error.strerror}). Make it readable (chmod a+r), or unset "
            "COURSE_DATA_MIRROR to download the data instead."
        ) from error


def _copy_into(source: Path, target: Path, fix: str) -> None:
    """Copy (gunzipping a ``.gz``) ``source`` to ``target`` atomically."""
    with _open_source(source) as packed, _atomic_file(target) as unpacked:
        while True:
            try:
                block = packed.read(1 << 20)
            except PermissionError as error:
                raise DatasetFileError(f"{source} cannot be read ({error.strerror}).") from error
            except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError;
                # a damaged deflate stream raises zlib.error, which is neither.
                raise _CorruptFile(
                    f"{source} could not be unpacked ({error}): the file is truncated or "
                    f"corrupt. {fix}"
                ) from error
            if not block:
                break
            unpacked.write(block)


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check(spec: DatasetSpec, path: Path, fix: str, source: Path | None = None) -> None:
    """Raise naming the file (and the fix) unless ``path`` has the spec's size and md5."""
    size, md5 = spec.files[path.name]
    actual = path.stat().st_size
    if actual == size and _md5(path) == md5:
        return
    problem = "size" if actual != size else "md5"
    if source is None:
        raise _CorruptFile(
            f"{path} is truncated or corrupt: its {problem} is not that of {spec.name}'s "
            f"{path.name} ({size:,} bytes, md5 {md5}; it has {actual:,} bytes). {fix}"
        )
    path.unlink(missing_ok=True)
    raise _CorruptFile(
        f"{source} does not unpack to {spec.name}'s published {path.name} ({problem} differs): "
        f"the copy is corrupt. {fix}"
    )


# ----------------------------------------------------------------------------------- the sources


def _packed(folder: Path, name: str) -> Path | None:
    """The mirror's copy of ``name``: ``name.gz`` or ``name`` itself, or None."""
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def _install(spec: DatasetSpec, source: Path, names: Sequence[str], cache: Path, fix: str) -> None:
    """Unpack ``names`` from ``source`` into ``cache``, each file checked before it is used."""
    for name in names:
        packed = _packed(source, name)
        assert packed is not None  # the caller found them all
        target = cache / name
        _copy_into(packed, target, fix)
        _check(spec, target, fix, source=packed)


def _fetch(url: str, target: Path, timeout: float, deadline: float) -> None:
    """Download ``url`` to ``target``: each network operation may wait ``timeout`` seconds, and
    the transfer stops once ``time.monotonic()`` passes ``deadline``.

    ``read1`` returns whatever one socket read brings, so a server that trickles bytes still
    meets the deadline (a plain ``read(n)`` would wait for all ``n`` bytes).
    """
    with urllib.request.urlopen(url, timeout=timeout) as response, _atomic_file(target) as out:
        while chunk := response.read1(1 << 16):
            out.write(chunk)
            if time.monotonic() > deadline:
                raise _DeadlinePassed(
                    f"stopped after COURSE_DOWNLOAD_DEADLINE={config.download_deadline():g} s"
                )


class _DeadlinePassed(TimeoutError):
    """The whole download took longer than ``COURSE_DOWNLOAD_DEADLINE``: try no other mirror."""


def _download(spec: DatasetSpec, cache: Path, names: Sequence[str]) -> str | None:
    """Download ``spec`` into ``cache``; return None on success, else why it failed (one line)."""
    timeout = config.download_timeout()
    if timeout == 0:
        return "downloads off (COURSE_DOWNLOAD_TIMEOUT=0)"
    deadline = time.monotonic() + config.download_deadline()

    def fetch(url: str, target: Path) -> None:
        _fetch(url, target, timeout, deadline)

    try:
        scratch = Path(tempfile.mkdtemp(prefix=".download-", dir=data_dir()))
    except OSError as error:
        raise _write_error(error, data_dir(), f"the {spec.name} download") from error
    try:
        spec.download(scratch, fetch)
        source = scratch / spec.folder
        missing = [name for name in names if _packed(source, name) is None]
        if missing:
            return f"the download lacked {missing[0]}"
        _install(spec, source, names, cache, "The download was corrupt; rerun to try again.")
    except _CorruptFile as error:
        return f"corrupt download ({error})"
    except (OSError, EOFError, zlib.error, http.client.HTTPException, tarfile.TarError) as error:
        return f"download failed ({_short(error)})"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return None


def _short(error: BaseException) -> str:
    reason = getattr(error, "reason", None)
    return str(reason if reason is not None else error) or type(error).__name__


def _missing(folder: Path, names: Sequence[str], packed: bool) -> list[str]:
    if packed:
        return [name for name in names if _packed(folder, name) is None]
    return [name for name in names if not (folder / name).is_file()]


def _found(
    dataset: VisionDataset, spec: DatasetSpec, train: bool, source: str, where: str
) -> VisionDataset:
    """Tag ``dataset`` with its ``source`` and print the one line that says where it came from."""
    dataset.source = source
    split = "train" if train else "test"
    print(f"[data] {spec.name} {split}: {len(dataset):,} images {where}")
    return dataset


def _refuse_mixing(
    spec: DatasetSpec, train: bool, cache: Path, mirror: Path | None, tried: list[str]
) -> None:
    """Refuse the stand-in for one split when the other split of the dataset is real."""
    other = spec.split_files(not train)
    if set(other) == set(spec.split_files(train)):
        return
    here = not _missing(cache, other, packed=False) or (
        mirror is not None and not _missing(mirror / spec.folder, other, packed=True)
    )
    if here:
        split, other_split = ("train", "test") if train else ("test", "train")
        raise DatasetFileError(
            f"{spec.name}'s {other_split} split is on this machine but its {split} split is "
            f"not ({'; '.join(tried)}), and the book will not mix real and stand-in images of "
            f"one dataset. Restore the missing files ({', '.join(spec.split_files(train))} in "
            f"{cache} or the mirror), or move the partial files away to use the stand-in for "
            "both splits."
        )


def _describe_missing(folder: Path, missing: list[str]) -> str:
    more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
    return f"{folder} lacks {missing[0]}{more}"


def load(spec: DatasetSpec, train: bool = True, transform: Transform = None) -> VisionDataset:
    """Return one split of ``spec`` from the best source (the ladder in the module docstring)."""
    config.download_timeout(), config.download_deadline()  # a bad setting fails at once
    mirror, root = mirror_dir(), data_dir()
    cache, names = root / spec.folder, spec.split_files(train)
    if not _missing(cache, names, packed=False):
        for name in names:
            _check(spec, cache / name, DELETE_AND_RERUN)
        return _found(spec.read(root, train, transform), spec, train, "cache", f"from {cache}")
    tried = [f"no {spec.name} files in {cache}"]
    if mirror is None:
        tried.append("no mirror (COURSE_DATA_MIRROR unset)")
    else:
        missing = _missing(mirror / spec.folder, names, packed=True)
        if not missing:
            _install(spec, mirror / spec.folder, names, cache, RESTORE_MIRROR)
            dataset = spec.read(root, train, transform)
            return _found(dataset, spec, train, "mirror", f"unpacked from the mirror {mirror}")
        tried.append(f"the mirror {_describe_missing(mirror / spec.folder, missing)}")
    reason = _download(spec, cache, names)
    if reason is None:
        dataset = spec.read(root, train, transform)
        return _found(dataset, spec, train, "download", "downloaded")
    tried.append(reason)
    _refuse_mixing(spec, train, cache, mirror, tried)
    dataset = spec.standin(train, transform)
    where = f"from the OFFLINE STAND-IN ({'; '.join(tried)}): {spec.standin_note}"
    return _found(dataset, spec, train, "standin", where)


def is_standin(dataset: Any) -> bool:
    """True when ``dataset`` is the offline stand-in rather than the real images."""
    return getattr(dataset, "source", None) == "standin"


def standin_notice(dataset: Any) -> bool:
    """Print one NOTICE when ``dataset`` is the offline stand-in, and return whether it is.

    A chapter calls it right after loading its data, so a student sees at once that the numbers
    below are not the book's (Chapter 05 shows the stand-in beside the real MNIST).
    """
    if not is_standin(dataset):
        return False
    print(
        f"NOTICE: the real images are not on this machine, so this run uses the OFFLINE STAND-IN "
        f"({len(dataset):,} images). Everything below runs, but its numbers are not the book's."
    )
    return True


# -------------------------------------------------------------------------------- the two specs


def _download_mnist(scratch: Path, fetch: Fetch) -> None:
    """Fetch MNIST's four .gz files, trying torchvision's mirrors in turn."""
    for name in MNIST_FILES:
        target = scratch / "MNIST" / "raw" / f"{name}.gz"
        for index, base in enumerate(MNIST_URLS):
            try:
                fetch(f"{base}{name}.gz", target)
                break
            except _DeadlinePassed:
                raise
            except OSError:
                if index == len(MNIST_URLS) - 1:
                    raise


def _download_cifar10(scratch: Path, fetch: Fetch) -> None:
    """Fetch CIFAR-10's binary version and extract its batches."""
    archive = scratch / "cifar-10-binary.tar.gz"
    fetch(CIFAR10_BINARY_URL, archive)
    with tarfile.open(archive) as tar:
        tar.extractall(scratch, members=_batches(tar), filter="data")


def _batches(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    wanted = {f"{CIFAR10Binary.base_folder}/{name}" for name in CIFAR10_FILES}
    return [member for member in tar.getmembers() if member.name in wanted]


MNIST = DatasetSpec(
    name="MNIST",
    folder="MNIST/raw",
    files=MNIST_FILES,
    # torchvision's MNIST wants all four files unpacked, whichever split is asked for.
    train_files=list(MNIST_FILES),
    test_files=list(MNIST_FILES),
    read=lambda root, train, transform: tv_datasets.MNIST(root, train, transform, download=False),
    standin=mnist_standin,
    standin_note="scikit-learn's 8x8 digits scaled to 28x28",
    download=_download_mnist,
)
CIFAR10 = DatasetSpec(
    name="CIFAR-10",
    folder=CIFAR10Binary.base_folder,
    files=CIFAR10_FILES,
    train_files=CIFAR10_TRAIN_FILES,
    test_files=CIFAR10_TEST_FILES,
    read=lambda root, train, transform: CIFAR10Binary(root, train, transform),
    standin=lambda train, transform: cifar10_standin(train, transform),
    standin_note="generated 10-class stripe images",
    download=_download_cifar10,
)


def mnist(train: bool = True, transform: Transform = None) -> VisionDataset:
    """Return MNIST's training or test split as a torchvision-style dataset.

    Items are ``(PIL image 28×28, label)``; ``.data``, ``.targets`` and ``.classes`` are there as in
    ``torchvision.datasets.MNIST``, and ``.source`` says where the images came from
    (``"cache"``, ``"mirror"``, ``"download"`` or ``"standin"``; see :func:`is_standin`).
    """
    return load(MNIST, train, transform)


def cifar10(train: bool = True, transform: Transform = None) -> VisionDataset:
    """Return CIFAR-10's training or test split as a torchvision-style dataset.

    Items are ``(PIL image 32×32 RGB, label)``; ``.data`` (N,32,32,3 uint8), ``.targets`` and
    ``.classes`` as in ``torchvision.datasets.CIFAR10``; ``.source`` as in :func:`mnist`.
    """
    return load(CIFAR10, train, transform)
