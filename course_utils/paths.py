"""Where the book's files live: the repository, its data directory, and the read-only mirror.

Chapter 00 shows these folders; :mod:`course_utils.data` reads and writes through them. Every
file the book writes goes first to a :func:`private_name` beside it, then is renamed into place.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from course_utils import config
from course_utils.errors import DatasetFileError

__all__ = ["REPO_ROOT", "data_dir", "mirror_dir", "private_name"]

#: The repository root: ``course_utils`` sits directly below it.
REPO_ROOT = Path(__file__).resolve().parent.parent


def _resolve(setting: str) -> Path:
    """A configured folder as an absolute path; a relative one is taken from :data:`REPO_ROOT`."""
    path = Path(setting).expanduser()
    return (path if path.is_absolute() else REPO_ROOT / path).resolve()


def mirror_dir() -> Path | None:
    """Return the read-only dataset mirror (``COURSE_DATA_MIRROR``), or None when unset.

    A mirror that is set but is not a folder is an error, not a silent "no mirror". The book only
    ever reads from the mirror; nothing is written into it.
    """
    setting = config.mirror_setting()
    if setting is None:
        return None
    path = _resolve(setting)
    if not path.is_dir():
        raise DatasetFileError(
            f"COURSE_DATA_MIRROR={setting} is not a folder ({path}). Point it at the mirror "
            "(a folder holding MNIST/raw and cifar-10-batches-bin), or unset it."
        )
    return path


def data_dir() -> Path:
    """Return the book's own, git-ignored data directory, creating it on first use.

    ``COURSE_DATA_DIR`` moves it (a relative path is taken from the repository root); the default
    is ``data/`` in the repository. It may not be the mirror or lie inside it.
    """
    setting = config.data_dir_setting()
    path = _resolve(setting) if setting else REPO_ROOT / "data"
    mirror = mirror_dir()
    if mirror is not None and path.is_relative_to(mirror):
        raise DatasetFileError(
            f"COURSE_DATA_DIR ({path}) lies in the read-only mirror COURSE_DATA_MIRROR "
            f"({mirror}): the book never writes into the mirror. Point COURSE_DATA_DIR at another "
            "folder, or unset it to use data/ in the repository."
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatasetFileError(
            f"the data directory {path} cannot be created ({error.strerror}). Set "
            "COURSE_DATA_DIR to a folder you can write to."
        ) from error
    return path


def private_name(target: Path) -> Path:
    """A temporary name beside ``target`` that no other process or thread uses.

    Writing there and renaming onto ``target`` (atomic on one file system) means a reader sees
    the old file or the whole new one, and two writers never share a half-written file.
    """
    return target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
