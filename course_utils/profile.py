"""The book's one switch, ``COURSE_PROFILE=full|fast``, and each chapter's settings under it.

``full`` (the default) is what a student runs: the seeds' real settings.
``fast`` shrinks epochs and data so the whole book executes in minutes (tests, CI).
Notebooks read every number that depends on the profile from :func:`settings` (Chapter 00 shows
how); where files live is :mod:`course_utils.paths`, every ``COURSE_*`` variable
:mod:`course_utils.config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType, SimpleNamespace
from typing import Any

from course_utils import config

__all__ = ["PROFILES", "SETTINGS", "current_profile", "settings"]

PROFILES = config.PROFILES

# Per-chapter settings, one dict per profile. Keys are chapter tags ("00", "01", ...).
_SETTINGS: dict[str, dict[str, dict[str, Any]]] = {
    "00": {
        "full": {"demo_images": 16},
        "fast": {"demo_images": 8},
    },
    "01": {
        "full": {"matmul_size": 1024},
        "fast": {"matmul_size": 256},
    },
    "02": {
        "full": {"fit_steps": 200, "gradcheck_size": 8},
        "fast": {"fit_steps": 50, "gradcheck_size": 4},
    },
    "04": {
        "full": {"regression_steps": 200, "classification_steps": 100},
        "fast": {"regression_steps": 100, "classification_steps": 50},
    },
    "05": {
        "full": {"timing_images": 60_000, "batch_size": 64},
        "fast": {"timing_images": 5_000, "batch_size": 64},
    },
    "06": {
        "full": {"epochs": 12, "points": 1000},
        "fast": {"epochs": 4, "points": 300},
    },
    "07": {
        # The blitz (batch 4, 2 epochs on all 50,000 images), timing steps, then "going further"
        # (gf_*: batch 128, epochs sized to stay under 10 minutes on 2 shared CPU cores).
        "full": {
            "train_images": 50_000,
            "test_images": 10_000,
            "epochs": 2,
            "print_every": 2000,
            "probe_steps": 300,
            "widen_steps": 500,
            "widest_steps": 20,
            "gf_train_images": 50_000,
            "gf_epochs": 10,
            "gf_probe_steps": 5,
        },
        "fast": {
            "train_images": 5_000,
            "test_images": 1_000,
            "epochs": 2,
            "print_every": 250,
            "probe_steps": 50,
            "widen_steps": 100,
            "widest_steps": 3,
            "gf_train_images": 5_000,
            "gf_epochs": 3,
            "gf_probe_steps": 2,
        },
    },
    "08": {
        "full": {"epochs": 20, "train_images": 60_000},
        "fast": {"epochs": 2, "train_images": 6_000},
    },
}


def _frozen(value: Any) -> Any:
    """``value`` with every dict inside it made a read-only view, all the way down."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    return value


#: The settings table, read-only at every level (``SETTINGS["07"]["full"]["epochs"] = 99`` fails).
SETTINGS: Mapping[str, Mapping[str, Mapping[str, Any]]] = _frozen(_SETTINGS)
del _SETTINGS


def current_profile() -> str:
    """Return the active profile, ``full`` unless ``COURSE_PROFILE`` says ``fast``.

    An unknown value is an error rather than a silent fallback, so a typo in CI is caught.
    """
    return config.profile()


def settings(chapter: str) -> SimpleNamespace:
    """Return the settings of ``chapter`` (e.g. ``"07"``) for the active profile.

    The result is a fresh namespace so a notebook reads ``cfg.epochs`` rather than
    ``cfg["epochs"]``; it also carries ``profile`` so a notebook can say which one it runs.
    """
    if chapter not in SETTINGS:
        raise KeyError(f"no settings for chapter {chapter!r}; known: {sorted(SETTINGS)}")
    profile = current_profile()
    return SimpleNamespace(profile=profile, **SETTINGS[chapter][profile])
