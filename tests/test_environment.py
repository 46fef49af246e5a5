"""pyproject.toml (pip) and environment.yml (conda) must describe the same environment."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
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


def _third_party_imports(path: Path) -> set[str]:
    """Top-level names of the modules ``path`` imports that are neither stdlib nor relative."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names)


def test_every_module_the_book_imports_comes_from_a_pinned_distribution() -> None:
    """The package, the scripts, the notebooks and the tests import nothing that only arrives as
    some other package's dependency, at whatever version that one allows."""
    _, pins = _pyproject()
    sources = [ROOT / "conftest.py"]
    for folder, pattern in [
        ("course_utils", "*.py"),
        ("scripts", "*.py"),
        ("notebooks/src", "[0-9][0-9]_*.py"),
        ("tests", "**/*.py"),
    ]:
        sources += sorted((ROOT / folder).glob(pattern))
    # Modules of this repository: the package, and the helpers the tests import by name.
    local = {"course_utils"} | {path.stem for path in sources}
    distributions = packages_distributions()
    unpinned = {}
    for path in sources:
        for name in sorted(_third_party_imports(path) - local):
            provided_by = {d.lower() for d in distributions.get(name, [])}
            if not provided_by & set(pins):
                unpinned.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert not unpinned, f"imported but not pinned in pyproject.toml: {unpinned}"
