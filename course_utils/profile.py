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

# Per-chapter settings. Keys are chapter tags ("00", "01", ...); "full" lists every setting of a
# chapter, "fast" only those it shrinks (the rest are the full values).
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
        "fast": {"timing_images": 5_000},
    },
    "06": {
        "full": {"epochs": 12, "points": 1000},
        "fast": {"epochs": 4, "points": 300},
    },
    "07": {
        # The blitz (batch 4, 2 epochs on all 50,000 images), then "going further" (gf_*: batch
        # 128, 10 epochs) and its ablation (six shorter runs on part of the training set).
        "full": {
            "train_images": 50_000,
            "test_images": 10_000,
            "epochs": 2,
            "print_every": 2000,
            "gf_train_images": 50_000,
            "gf_epochs": 10,
            "gf_ablation_images": 25_000,
            "gf_ablation_epochs": 5,
        },
        "fast": {
            "train_images": 5_000,
            "test_images": 1_000,
            "print_every": 250,
            "gf_train_images": 5_000,
            "gf_epochs": 3,
            "gf_ablation_images": 2_000,
            "gf_ablation_epochs": 1,
        },
    },
    "08": {
        "full": {"epochs": 20, "train_images": 60_000},
        "fast": {"epochs": 2, "train_images": 6_000},
    },
    "09": {
        # 402 (LSTM on MNIST rows: 1 epoch, batch 64), a longer LSTM run to 98 %, 403 (sin -> cos,
        # 100 windows) and 501 (60 steps of random length).
        "full": {
            "train_images": 60_000,
            "long_epochs": 10,
            "long_hidden": 64,
            "regression_steps": 100,
            "dynamic_steps": 60,
        },
        "fast": {"train_images": 6_000, "long_epochs": 3},
    },
    "10": {
        # Morvan's 404: 10 epochs over all 60,000 training digits (batch 64); exercise_epochs
        # trains the exercises' wider and linear autoencoders.
        "full": {"epochs": 10, "train_images": 60_000, "exercise_epochs": 3},
        "fast": {"epochs": 3, "train_images": 20_000, "exercise_epochs": 1},
    },
    "11": {
        # The painter GAN (painter_*), the loss comparison (compare_*), the conditional GAN
        # (cgan_*), then "going further": an MLP GAN on MNIST (mnist_*) judged by a ConvNet.
        "full": {
            "painter_steps": 10_000,
            "compare_steps": 3_000,
            "cgan_steps": 10_000,
            "mnist_images": 60_000,
            "mnist_steps": 4_000,
            "judge_epochs": 1,
        },
        "fast": {
            "painter_steps": 1_500,
            "compare_steps": 600,
            "cgan_steps": 1_500,
            "mnist_images": 6_000,
            "mnist_steps": 150,
        },
    },
    "12": {
        # Morvan's 503 (steps, repeated over `seeds` seeds), then the MNIST subset study: an MLP on
        # `subset` digits for `mnist_epochs` epochs, and the same net on all of them (more data).
        # `sweep_seeds`: the seeds of Exercise 1's dropout-rate sweep (4 rates each).
        "full": {
            "seeds": 10,
            "steps": 500,
            "subset": 1000,
            "mnist_epochs": 100,
            "more_data_epochs": 5,
            "sweep_seeds": 3,
        },
        "fast": {"seeds": 3, "mnist_epochs": 10, "more_data_epochs": 1, "sweep_seeds": 1},
    },
    "13": {
        # Morvan's 504 (12 epochs, repeated over `seeds` seeds), then BN in a deep CNN on MNIST
        # (`cnn_images` training digits, `cnn_epochs` epochs per run; the test accuracy on the
        # first `cnn_test_images` test digits per epoch, and on 2,000 every `eval_every` steps).
        "full": {
            "seeds": 5,
            "epochs": 12,
            "cnn_images": 10_000,
            "cnn_epochs": 2,
            "cnn_test_images": 10_000,
            "eval_every": 25,
        },
        "fast": {
            "seeds": 2,
            "cnn_images": 2_000,
            "cnn_epochs": 1,
            "cnn_test_images": 1_000,
            "eval_every": 8,
        },
    },
    "14": {
        # Timings on random data (`batch_samples` samples per batch size, `width_steps` steps per
        # width, at most `max_seconds` each), the bfloat16 run (`amp_images` MNIST digits for
        # `amp_epochs` epochs), and whether the 3-process DDP launch runs.
        "full": {
            "batch_samples": 2048,
            "width_steps": 10,
            "max_seconds": 3.0,
            "amp_images": 10_000,
            "amp_epochs": 1,
            "three_processes": True,
        },
        "fast": {
            "batch_samples": 256,
            "width_steps": 2,
            "max_seconds": 0.5,
            "amp_images": 2_000,
            "three_processes": False,
        },
    },
    "15": {
        # Pre-training on the first `pretrain_per_class` training images of each source class for
        # `pretrain_epochs` epochs (full: all 5,000 and transfer.PRETRAIN_EPOCHS), then each of
        # the three ways on the new classes for `transfer_epochs` (transfer.TRANSFER_EPOCHS).
        "full": {"pretrain_per_class": 5000, "pretrain_epochs": 6, "transfer_epochs": 30},
        "fast": {"pretrain_per_class": 300, "pretrain_epochs": 1, "transfer_epochs": 5},
    },
}


def _frozen(value: Any) -> Any:
    """``value`` with every dict inside it made a read-only view, all the way down."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    return value


def _with_fast_filled_in(table: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Each chapter's fast settings completed with its full ones (fast may not add a setting)."""
    complete = {}
    for chapter, profiles in table.items():
        full, fast = profiles["full"], profiles["fast"]
        unknown = set(fast) - set(full)
        if unknown:
            raise KeyError(f"chapter {chapter}: fast settings {sorted(unknown)} are not in full")
        complete[chapter] = {"full": full, "fast": {**full, **fast}}
    return complete


#: The settings table, read-only at every level (``SETTINGS["07"]["full"]["epochs"] = 99`` fails).
SETTINGS: Mapping[str, Mapping[str, Mapping[str, Any]]] = _frozen(_with_fast_filled_in(_SETTINGS))
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
