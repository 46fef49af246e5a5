"""Choosing the device and seeding every source of randomness."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def pick_device(prefer: str | None = None, verbose: bool = True) -> torch.device:
    """Return the best available device: CUDA, then Apple's MPS, then the CPU.

    ``prefer`` (or the ``COURSE_DEVICE`` environment variable) forces one, e.g. ``"cpu"``.
    With ``verbose`` it prints one line saying what was chosen and why.
    """
    choice = prefer or os.environ.get("COURSE_DEVICE")
    if choice:
        device = torch.device(choice)
        reason = "requested"
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


def seed_everything(seed: int = 0, deterministic: bool = False) -> torch.Generator:
    """Seed Python's ``random``, NumPy and torch (CPU and every GPU) with ``seed``.

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
