"""The notebook harness itself: strict warnings in kernels, the sanitiser, checked-cell comparison.

Each test writes a two-cell notebook and runs nbval on it in a subprocess, as `make test` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run_nbval(tmp_path: Path, code: str, committed_output: str) -> subprocess.CompletedProcess:
    """Run nbval on a notebook with one checked cell whose committed stdout is given."""
    cell = nbformat.v4.new_code_cell(code, metadata={"tags": ["nbval-check-output"]})
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=committed_output)]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook.metadata.kernelspec = {
        "name": "pytorch-course",
        "display_name": "PyTorch course",
        "language": "python",
    }
    path = tmp_path / "probe.ipynb"
    nbformat.write(notebook, path)
    env = {**os.environ, "PYTHONWARNINGS": ""}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(path),
            "-q",
            "--rootdir",
            str(ROOT),
            "-c",
            str(ROOT / "pyproject.toml"),
            "-p",
            "no:randomly",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_a_checked_cell_that_reproduces_its_output_passes(tmp_path: Path) -> None:
    result = _run_nbval(tmp_path, "print(6 * 7)", "42\n")
    assert result.returncode == 0, result.stdout[-2000:]


def test_a_checked_cell_whose_output_changed_fails(tmp_path: Path) -> None:
    result = _run_nbval(tmp_path, "print(6 * 7)", "41\n")
    assert result.returncode != 0


def test_the_sanitiser_masks_addresses_and_timings(tmp_path: Path) -> None:
    code = "print(f'<object at {hex(id(object()))}> took 1.25 s')"
    result = _run_nbval(tmp_path, code, "<object at 0x7f00deadbeef> took 3.5 s\n")
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize("category", ["DeprecationWarning", "FutureWarning"])
def test_outdated_api_in_notebook_code_fails_the_notebook(tmp_path: Path, category: str) -> None:
    code = f"import warnings\nwarnings.warn('outdated', {category})\nprint('ran on')"
    result = _run_nbval(tmp_path, code, "ran on\n")
    assert result.returncode != 0
    assert category in result.stdout
