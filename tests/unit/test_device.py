"""Unit tests of course_utils.device: choosing the device and seeding every RNG."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

from course_utils.config import ConfigError
from course_utils.device import DeviceUnavailableError, pick_device, seed_everything


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.fixture
def fake_cuda(monkeypatch):
    """One fake CUDA GPU (and no MPS); nothing here touches a real driver."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake GPU 9000")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.fixture
def fake_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)


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


# ------------------------------------------------------------------- pick_device: nothing asked


def test_pick_device_without_gpu_is_cpu(no_gpu, capsys):
    assert pick_device() == torch.device("cpu")
    threads = torch.get_num_threads()
    assert _one_line(capsys) == f"Using device: cpu (no GPU found; {threads} CPU threads)"


def test_pick_device_prefers_cuda(fake_cuda, capsys):
    assert pick_device() == torch.device("cuda")
    assert _one_line(capsys) == "Using device: cuda (GPU found: Fake GPU 9000)"


def test_pick_device_prefers_cuda_over_mps(fake_cuda, monkeypatch, capsys):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device() == torch.device("cuda")
    assert "Fake GPU 9000" in _one_line(capsys)


def test_pick_device_uses_mps_without_cuda(fake_mps, capsys):
    assert pick_device() == torch.device("mps")
    assert _one_line(capsys) == "Using device: mps (Apple GPU (MPS) found)"


def test_pick_device_quiet(no_gpu, capsys):
    assert pick_device(prefer="cpu", verbose=False) == torch.device("cpu")
    assert pick_device(verbose=False) == torch.device("cpu")
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------- pick_device: a device asked for


def test_prefer_cpu_wins_over_a_gpu(fake_cuda, capsys):
    assert pick_device(prefer="cpu") == torch.device("cpu")
    assert _one_line(capsys) == "Using device: cpu (requested by prefer='cpu')"


def test_course_device_env_is_honoured(fake_cuda, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE", "CPU")
    assert pick_device() == torch.device("cpu")
    assert _one_line(capsys) == "Using device: cpu (requested by COURSE_DEVICE=cpu)"


def test_prefer_wins_over_env(fake_cuda, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    assert pick_device(prefer="cpu", verbose=False) == torch.device("cpu")
    assert pick_device(verbose=False) == torch.device("cuda")


def test_prefer_ignores_an_invalid_env(no_gpu, monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    assert pick_device(prefer="cpu", verbose=False) == torch.device("cpu")


@pytest.mark.parametrize("request_", ["cuda", "cuda:0", torch.device("cuda:0")])
def test_requested_cuda_that_is_present(fake_cuda, capsys, request_):
    assert pick_device(prefer=request_) == torch.device(str(request_))
    assert _one_line(capsys).startswith(f"Using device: {torch.device(str(request_))} (requested")


def test_requested_mps_that_is_present(fake_mps, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE", "mps")
    assert pick_device() == torch.device("mps")
    assert _one_line(capsys) == "Using device: mps (requested by COURSE_DEVICE=mps)"


def test_env_cuda_without_a_gpu_fails_at_once(no_gpu, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(DeviceUnavailableError) as caught:
        pick_device()
    message = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    assert "COURSE_DEVICE=cuda" in message
    assert "this machine has: cpu." in message  # what there is
    assert "unset COURSE_DEVICE" in message and "COURSE_DEVICE=cpu" in message  # the fix
    assert capsys.readouterr().out == ""  # no "Using device: cuda (requested)" first


def test_prefer_cuda_without_a_gpu_fails_at_once(fake_mps, capsys):
    with pytest.raises(DeviceUnavailableError) as caught:
        pick_device(prefer="cuda")
    message = str(caught.value)
    assert "prefer='cuda'" in message
    assert "this machine has: mps, cpu." in message
    assert "prefer='cpu'" in message
    assert "COURSE_DEVICE" not in message  # the setting that asked, not the other one
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("request_", ["cuda:1", "cuda:7"])
def test_cuda_index_beyond_the_gpus_fails(fake_cuda, monkeypatch, request_):
    monkeypatch.setenv("COURSE_DEVICE", request_)
    with pytest.raises(DeviceUnavailableError) as caught:
        pick_device()
    message = str(caught.value)
    assert f"COURSE_DEVICE={request_}" in message
    assert "has 1 (cuda:0 to cuda:0)" in message
    assert "this machine has: cuda:0 (Fake GPU 9000), cpu." in message


@pytest.mark.parametrize("how", ["env", "prefer"])
def test_mps_without_mps_fails(fake_cuda, monkeypatch, how):
    if how == "env":
        monkeypatch.setenv("COURSE_DEVICE", "mps")
    with pytest.raises(DeviceUnavailableError) as caught:
        pick_device(prefer="mps" if how == "prefer" else None)
    message = str(caught.value)
    assert ("COURSE_DEVICE=mps" if how == "env" else "prefer='mps'") in message
    assert "MPS" in message
    assert "this machine has: cuda:0 (Fake GPU 9000), cpu." in message


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda:x", "meta"])
def test_invalid_env_names_the_variable_and_its_values(no_gpu, monkeypatch, name):
    monkeypatch.setenv("COURSE_DEVICE", name)
    with pytest.raises(ConfigError, match=rf"COURSE_DEVICE='{name}'.*cpu, cuda, mps"):
        pick_device(verbose=False)


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda:x", "meta", "not-a-device"])
def test_invalid_prefer_names_the_argument_and_its_values(no_gpu, name):
    with pytest.raises(ValueError, match=rf"prefer='{name}'.*cpu, cuda, mps"):
        pick_device(prefer=name, verbose=False)


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
