"""Unit tests of course_utils.device: choosing the device and seeding every RNG."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

from course_utils.device import pick_device, seed_everything


@pytest.fixture(autouse=True)
def _no_device_env(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.fixture
def fake_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake GPU 9000")


@pytest.fixture
def restore_determinism(monkeypatch):
    """seed_everything(deterministic=True) switches torch globally: put everything back."""
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    benchmark = torch.backends.cudnn.benchmark
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)
        torch.backends.cudnn.benchmark = benchmark


def _one_line(capsys) -> str:
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# ---------------------------------------------------------------------------------- pick_device


def test_pick_device_on_this_machine(capsys):
    if torch.cuda.is_available():
        expected = "cuda"
    elif torch.backends.mps.is_available():
        expected = "mps"
    else:
        expected = "cpu"
    device = pick_device()
    assert isinstance(device, torch.device)
    assert device.type == expected
    assert _one_line(capsys).startswith(f"Using device: {expected} (")


def test_pick_device_without_gpu_is_cpu(no_gpu, capsys):
    assert pick_device() == torch.device("cpu")
    line = _one_line(capsys)
    threads = torch.get_num_threads()
    assert line == f"Using device: cpu (no GPU found; {threads} CPU threads)"


def test_pick_device_prefers_cuda(fake_cuda, capsys):
    assert pick_device() == torch.device("cuda")
    assert _one_line(capsys) == "Using device: cuda (GPU found: Fake GPU 9000)"


def test_pick_device_uses_mps_without_cuda(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device() == torch.device("mps")
    assert "MPS" in _one_line(capsys)


def test_prefer_cpu_wins_over_a_gpu(fake_cuda, capsys):
    assert pick_device(prefer="cpu") == torch.device("cpu")
    assert _one_line(capsys) == "Using device: cpu (requested)"


def test_course_device_env_is_honoured(fake_cuda, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    assert _one_line(capsys).endswith("(requested)")


def test_prefer_wins_over_env(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE", "meta")
    assert pick_device(prefer="cpu") == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "meta")
    assert pick_device() == torch.device("meta")


def test_pick_device_quiet(capsys):
    pick_device(prefer="cpu", verbose=False)
    pick_device(verbose=False)
    assert capsys.readouterr().out == ""


def test_pick_device_rejects_a_bad_name():
    with pytest.raises(RuntimeError):
        pick_device(prefer="not-a-device", verbose=False)


# ------------------------------------------------------------------------------- seed_everything


def _draws(generator: torch.Generator) -> tuple:
    return (
        random.random(),
        np.random.rand(3).tolist(),  # noqa: NPY002 - the legacy global generator is what is seeded
        torch.rand(3).tolist(),
        torch.randn(2, generator=generator).tolist(),
        torch.randperm(10, generator=generator).tolist(),
    )


def test_seed_everything_is_reproducible():
    first = _draws(seed_everything(123))
    second = _draws(seed_everything(123))
    assert first == second


def test_seed_everything_other_seed_gives_other_numbers():
    first = _draws(seed_everything(1))
    other = _draws(seed_everything(2))
    for a, b in zip(first, other, strict=True):
        assert a != b


def test_seed_everything_returns_a_seeded_generator():
    generator = seed_everything(42)
    assert isinstance(generator, torch.Generator)
    assert generator.initial_seed() == 42
    expected = torch.rand(5, generator=torch.Generator().manual_seed(42))
    torch.testing.assert_close(torch.rand(5, generator=generator), expected)


def test_seed_everything_returns_a_fresh_generator_each_call():
    a, b = seed_everything(7), seed_everything(7)
    assert a is not b
    torch.rand(3, generator=a)  # drawing from one must not advance the other
    torch.testing.assert_close(
        torch.rand(3, generator=b), torch.rand(3, generator=seed_everything(7))
    )


def test_seed_everything_default_leaves_determinism_alone(restore_determinism):
    torch.use_deterministic_algorithms(False)
    seed_everything(0)
    assert not torch.are_deterministic_algorithms_enabled()
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ


def test_seed_everything_deterministic(restore_determinism):
    seed_everything(0, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert torch.backends.cudnn.benchmark is False


def test_seed_everything_deterministic_keeps_an_existing_cublas_setting(
    restore_determinism, monkeypatch
):
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    seed_everything(0, deterministic=True)
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"
