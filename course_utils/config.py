"""Every ``COURSE_*`` environment variable the book reads, in one place, each checked on reading.

- ``COURSE_PROFILE``: ``full`` (default) or ``fast``; read by :func:`course_utils.profile.settings`.
- ``COURSE_DATA_DIR``: the book's data folder (default ``data/`` in the repository; a relative
  path is taken from the repository root); :func:`course_utils.paths.data_dir`.
- ``COURSE_DATA_MIRROR``: a read-only folder of the original files (unset: no mirror);
  :func:`course_utils.paths.mirror_dir`.
- ``COURSE_DOWNLOAD_TIMEOUT``: seconds one network operation may wait (default 10); ``0`` never
  downloads; :mod:`course_utils.data`.
- ``COURSE_DOWNLOAD_DEADLINE``: seconds one dataset's whole download may take (default 600).
- ``COURSE_DEVICE``: ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` (unset: the best one present);
  :func:`course_utils.device.pick_device`.
- ``COURSE_PROGRESS``: ``0`` hides progress bars (default: shown); read by the training loop.

The test harness also reads ``COURSE_CHROMIUM`` (the browser the browser tests drive); the Makefile
sets ``COURSE_DATA_MIRROR`` to ``../shared/data`` when that folder exists. A value that is not
allowed raises :class:`ConfigError`, naming the variable and what it accepts.
"""

from __future__ import annotations

import os

__all__ = [
    "PROFILES",
    "DEVICE_TYPES",
    "ConfigError",
    "profile",
    "data_dir_setting",
    "mirror_setting",
    "download_timeout",
    "download_deadline",
    "device_request",
    "progress_enabled",
]

PROFILES = ("full", "fast")
DEVICE_TYPES = ("cpu", "cuda", "mps")


class ConfigError(ValueError):
    """A ``COURSE_*`` variable holds a value the book cannot use; the message says which."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def profile() -> str:
    """``COURSE_PROFILE``: ``full`` (the default) or ``fast``; anything else is an error."""
    value = (_raw("COURSE_PROFILE") or "full").lower()
    if value not in PROFILES:
        raise ConfigError(
            f"COURSE_PROFILE={value!r} is not a profile; use one of {', '.join(PROFILES)}"
        )
    return value


def data_dir_setting() -> str | None:
    """``COURSE_DATA_DIR`` as written, or None when unset."""
    return _raw("COURSE_DATA_DIR")


def mirror_setting() -> str | None:
    """``COURSE_DATA_MIRROR`` as written, or None when unset."""
    return _raw("COURSE_DATA_MIRROR")


def _seconds(name: str, default: float, zero_allowed: bool) -> float:
    text = _raw(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or (value == 0 and not zero_allowed) or value == float("inf"):
        allowed = "0 (never download) or a positive number" if zero_allowed else "a positive number"
        raise ConfigError(f"{name}={text!r} is not a number of seconds; use {allowed}")
    return value


def download_timeout() -> float:
    """``COURSE_DOWNLOAD_TIMEOUT``: seconds one network operation may wait (10); 0: no download."""
    return _seconds("COURSE_DOWNLOAD_TIMEOUT", 10.0, zero_allowed=True)


def download_deadline() -> float:
    """``COURSE_DOWNLOAD_DEADLINE``: seconds one dataset's whole download may take (600)."""
    return _seconds("COURSE_DOWNLOAD_DEADLINE", 600.0, zero_allowed=False)


def device_request() -> str | None:
    """``COURSE_DEVICE`` (``cpu``, ``cuda``, ``cuda:N``, ``mps``), or None when unset."""
    value = _raw("COURSE_DEVICE")
    if value is None:
        return None
    kind, _, index = value.lower().partition(":")
    if kind not in DEVICE_TYPES or (index and not index.isdigit()):
        raise ConfigError(
            f"COURSE_DEVICE={value!r} is not a device; use one of {', '.join(DEVICE_TYPES)} "
            "(or cuda:N for the N-th GPU), or unset it to pick the best one present"
        )
    return value.lower()


def progress_enabled() -> bool:
    """``COURSE_PROGRESS``: False when it is ``0``; progress bars are shown otherwise."""
    return _raw("COURSE_PROGRESS") != "0"
