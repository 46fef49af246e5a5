"""pyproject.toml (pip) and environment.yml (conda) must describe the same environment."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> tuple[str, dict[str, str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for group in project["optional-dependencies"].values():
        requirements += group
    return project["requires-python"], dict(_split_pin(r) for r in requirements)


def _environment_yml() -> tuple[str, dict[str, str]]:
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    python, pip_list = None, []
    for entry in spec["dependencies"]:
        if isinstance(entry, dict):
            pip_list = entry["pip"]
        elif entry.startswith("python"):
            python = entry.split("=", 1)[1]
    pins = dict(_split_pin(r) for r in pip_list if not r.startswith("-e"))
    assert "-e ." in pip_list, "environment.yml must install course_utils itself (-e .)"
    return python, pins


def _split_pin(requirement: str) -> tuple[str, str]:
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([A-Za-z0-9_.]+)", requirement.strip())
    assert match, f"{requirement!r} is not pinned to one exact version (name==version)"
    return match.group(1).lower(), match.group(2)


def test_every_dependency_is_pinned_and_both_files_agree() -> None:
    requires_python, pip_pins = _pyproject()
    conda_python, conda_pins = _environment_yml()
    assert pip_pins == conda_pins
    assert requires_python == f"=={conda_python}.*"


def test_the_pinned_torch_is_the_one_the_book_is_written_for() -> None:
    _, pins = _pyproject()
    assert pins["torch"] == "2.14.1"
    assert pins["torchvision"] == "0.29.1"


def test_the_environment_running_the_tests_has_exactly_the_pinned_versions() -> None:
    from importlib.metadata import version

    _, pins = _pyproject()
    installed = {name: version(name) for name in pins}
    assert installed == pins
