"""Choosing the device and seeding every source of randomness.

Chapter 00 introduces both helpers; Chapter 01 moves tensors with ``.to(device)`` by hand, which is
what :func:`pick_device` chooses for. A device that was asked for (``prefer=`` or
``COURSE_DEVICE``) is checked when it is chosen: asking for a GPU this machine does not have is an
error right away, naming the setting, what the machine has and the fix, rather than a driver error
several cells later.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from course_utils import config

__all__ = ["DeviceUnavailableError", "pick_device", "seed_everything"]


class DeviceUnavailableError(RuntimeError):
    """The device asked for (``prefer=`` or ``COURSE_DEVICE``) is not on this machine.

    The message names the setting, the devices this machine has, and the fix.
    """


def pick_device(prefer: str | torch.device | None = None, verbose: bool = True) -> torch.device:
    """Return the best available device: CUDA, then Apple's MPS, then the CPU (Chapters 00, 01).

    ``prefer`` (or, without it, the ``COURSE_DEVICE`` environment variable) forces one of
    ``cpu``, ``cuda``, ``cuda:N`` or ``mps``. A name outside these raises a ``ValueError``
    (:class:`course_utils.config.ConfigError` for ``COURSE_DEVICE``); a device this machine lacks
    raises :class:`DeviceUnavailableError`. With ``verbose`` it prints one line saying what was
    chosen and why.
    """
    if prefer is not None and str(prefer).strip():
        text = str(prefer)
        request = _parse_prefer(text)
        setting = f"prefer={text!r}"
        fix = "drop the prefer argument to use the best device present, or pass prefer='cpu'"
    else:
        request = config.device_request()  # raises ConfigError for a name that is not a device
        setting = f"COURSE_DEVICE={request}"
        fix = "unset COURSE_DEVICE to use the best device present, or set COURSE_DEVICE=cpu"
    if request:
        device = torch.device(request)
        _check_present(device, setting, fix)
        reason = f"requested by {setting}"
    elif torch.cuda.is_available():
        device = torch.device("cuda")
        reason = f"GPU found: {torch.cuda.get_device_name(0)}"
    elif torch.backends.mps.is_available():
        device = torch.device("mps")
        reason = "Apple GPU (MPS) found"
    else:
        device = torch.device("cpu")
        reason = f"no GPU found; {torch.get_num_threads()} CPU threads"
    if verbose:
        print(f"Using device: {device} ({reason})")
    return device


def _parse_prefer(text: str) -> str:
    """``prefer`` checked like ``COURSE_DEVICE``: a known device type, optionally ``:N``."""
    value = text.strip().lower()
    kind, _, index = value.partition(":")
    if kind not in config.DEVICE_TYPES or (index and not index.isdigit()):
        raise ValueError(
            f"pick_device(prefer={text!r}): not a device; use one of "
            f"{', '.join(config.DEVICE_TYPES)} (or cuda:N for the N-th GPU), "
            "or leave prefer out to pick the best one present"
        )
    return value


def _present() -> str:
    """The devices this machine has, for error messages, e.g. ``cuda:0 (NVIDIA H200), cpu``."""
    found = []
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        found += [f"cuda:{i} ({torch.cuda.get_device_name(i)})" for i in range(count)]
    if torch.backends.mps.is_available():
        found.append("mps")
    found.append("cpu")
    return ", ".join(found)


def _check_present(device: torch.device, setting: str, fix: str) -> None:
    """Raise :class:`DeviceUnavailableError` if ``device`` is not on this machine."""
    if device.type == "cuda":
        if not torch.cuda.is_available():
            problem = "asks for a CUDA GPU, but torch finds none"
        elif device.index is not None and device.index >= torch.cuda.device_count():
            count = torch.cuda.device_count()
            problem = (
                f"asks for GPU number {device.index}, but this machine has {count} "
                f"(cuda:0 to cuda:{count - 1})"
            )
        else:
            return
    elif device.type == "mps":
        if not torch.backends.mps.is_available():
            problem = "asks for Apple's GPU (MPS), but torch finds none"
        elif device.index:
            problem = "asks for an MPS device other than the one there is (use mps)"
        else:
            return
    else:
        return
    raise DeviceUnavailableError(
        f"{setting} {problem}; this machine has: {_present()}. Fix: {fix}."
    )


def seed_everything(seed: int = 0, deterministic: bool = False) -> torch.Generator:
    """Seed Python's ``random``, NumPy and torch (CPU and every GPU) with ``seed`` (Chapter 00).

    ``deterministic=True`` also asks torch for deterministic kernels (slower on a GPU; what the
    tests use). Returns a ``torch.Generator`` seeded the same way, for DataLoader shuffling.
    """
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeds code that uses the legacy global generator
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
