"""Unit tests of course_utils.config: every COURSE_* variable is read and checked in one place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from course_utils import config
from course_utils.paths import REPO_ROOT


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 10.0), ("3", 3.0), ("0.5", 0.5), (" 7 ", 7.0), ("0", 0.0)]
)
def test_download_timeout(monkeypatch, value, expected):
    if value is not None:
        monkeypatch.setenv("COURSE_DOWNLOAD_TIMEOUT", value)
    assert config.download_timeout() == expected


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf", "1e400"])
def test_an_invalid_download_timeout_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("COURSE_DOWNLOAD_TIMEOUT", value)
    with pytest.raises(config.ConfigError, match=r"COURSE_DOWNLOAD_TIMEOUT=.*0 \(never download\)"):
        config.download_timeout()


@pytest.mark.parametrize("value", ["0", "-5", "x"])
def test_the_download_deadline_must_be_positive(monkeypatch, value):
    monkeypatch.setenv("COURSE_DOWNLOAD_DEADLINE", value)
    with pytest.raises(config.ConfigError, match="COURSE_DOWNLOAD_DEADLINE"):
        config.download_deadline()


def test_the_download_deadline_default_and_value(monkeypatch):
    assert config.download_deadline() == 600
    monkeypatch.setenv("COURSE_DOWNLOAD_DEADLINE", "90")
    assert config.download_deadline() == 90


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("cpu", "cpu"), ("CUDA:1", "cuda:1"), ("mps", "mps")]
)
def test_device_request(monkeypatch, value, expected):
    if value is not None:
        monkeypatch.setenv("COURSE_DEVICE", value)
    assert config.device_request() == expected


@pytest.mark.parametrize("value", ["tpu", "gpu", "cuda:x", "meta"])
def test_an_unknown_device_names_the_variable_and_its_values(monkeypatch, value):
    monkeypatch.setenv("COURSE_DEVICE", value)
    with pytest.raises(config.ConfigError, match=r"COURSE_DEVICE=.*cpu, cuda, mps"):
        config.device_request()


@pytest.mark.parametrize(("value", "shown"), [(None, True), ("1", True), ("0", False)])
def test_progress(monkeypatch, value, shown):
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    if value is not None:
        monkeypatch.setenv("COURSE_PROGRESS", value)
    assert config.progress_enabled() is shown


def test_every_course_variable_the_package_reads_is_documented_here():
    """No module but config reads the environment, and config documents all it reads."""
    package = REPO_ROOT / "course_utils"
    reads = re.compile(r"(os\.environ|getenv)[^\n]*COURSE_")
    for module in package.glob("*.py"):
        if module.name != "config.py":
            assert not reads.search(module.read_text()), module.name
    source = (package / "config.py").read_text()
    read = set(re.findall(r'"(COURSE_[A-Z_]+)"', source))
    documented = set(re.findall(r"``(COURSE_[A-Z_]+)``", config.__doc__ or ""))
    assert read and read <= documented


def test_the_module_file_is_where_paths_expects_it():
    assert Path(config.__file__).parent == REPO_ROOT / "course_utils"
