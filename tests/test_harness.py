"""The test harness itself: strict warnings in kernels, the sanitiser, checked-cell comparison, what
a run leaves behind; and the Makefile targets and CI script that drive it.

The tests marked ``slow`` run pytest in a subprocess (5 s or so each on 2 cores: nbval's
imports, and for the nbval tests a kernel), so `make unit` leaves them to `make test`. The nbval
tests write a one-cell notebook and run pytest on it, as `make test` does. The probes live in a
scratch folder under build/ (git-ignored), so that pytest finds the book's pyproject.toml and
root conftest.py above them, as it does for notebooks/; the subprocess gets no IPYTHONDIR, so
the strict warnings it shows are set up by its own conftest.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBES = ROOT / "build" / "harness"
CHECKPOINTS = ROOT / "notebooks" / ".ipynb_checkpoints"
KERNEL = "pytorch-course"


@pytest.fixture
def probe_dir() -> Iterator[Path]:
    """A scratch folder inside the repository, removed afterwards."""
    PROBES.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=PROBES))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):  # unless another run's probes are still there
        PROBES.rmdir()
        PROBES.parent.rmdir()  # build/, unless something else is in it


def _environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONWARNINGS": "", **extra}
    env.pop("IPYTHONDIR", None)
    return env


def _pytest(
    target: Path, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(target), "-q", "-p", "no:randomly"],
        cwd=cwd,
        env=env or _environment(),
        capture_output=True,
        text=True,
        timeout=240,
    )


def _probe_notebook(folder: Path, code: str, committed_output: str) -> Path:
    """A notebook in the book's kernel with one checked cell whose committed stdout is given."""
    cell = nbformat.v4.new_code_cell(code, metadata={"tags": ["nbval-check-output"]})
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=committed_output)]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook.metadata.kernelspec = {
        "name": KERNEL,
        "display_name": "PyTorch course",
        "language": "python",
    }
    path = folder / "probe.ipynb"
    nbformat.write(notebook, path)
    return path


def _run_nbval(folder: Path, code: str, committed_output: str) -> subprocess.CompletedProcess:
    return _pytest(_probe_notebook(folder, code, committed_output))


# --------------------------------------------------------------------------- nbval in the kernel

ADDRESS_AND_TIMING = "print(f'<object at {hex(id(object()))}> took 1.25 s')"
MASKED_AWAY = "<object at 0x7f00deadbeef> took 3.5 s\n"


@pytest.mark.slow
def test_a_checked_cell_that_reproduces_its_output_passes(probe_dir: Path) -> None:
    result = _run_nbval(probe_dir, "print(6 * 7)", "42\n")
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.slow
def test_a_checked_cell_whose_output_changed_fails(probe_dir: Path) -> None:
    """It fails on the comparison (not on, say, a missing kernel), naming the stream."""
    result = _run_nbval(probe_dir, "print(6 * 7)", "41\n")
    assert result.returncode == 1, result.stdout[-2000:]
    assert "Cell outputs differ" in result.stdout, result.stdout[-2000:]
    assert "mismatch 'stdout'" in result.stdout


@pytest.mark.slow
def test_the_sanitiser_masks_addresses_and_timings(probe_dir: Path) -> None:
    result = _run_nbval(probe_dir, ADDRESS_AND_TIMING, MASKED_AWAY)
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.slow
def test_a_notebook_tested_from_another_directory_is_sanitised_too(
    probe_dir: Path, tmp_path: Path
) -> None:
    """`cd somewhere && pytest /path/to/book/notebooks/NN.ipynb` finds tests/sanitize.cfg."""
    probe = _probe_notebook(probe_dir, ADDRESS_AND_TIMING, MASKED_AWAY)
    result = _pytest(probe, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("category", ["DeprecationWarning", "FutureWarning"])
def test_outdated_api_in_notebook_code_fails_the_notebook(probe_dir: Path, category: str) -> None:
    code = f"import warnings\nwarnings.warn('outdated', {category})\nprint('ran on')"
    result = _run_nbval(probe_dir, code, "ran on\n")
    assert result.returncode != 0
    assert category in result.stdout


# --------------------------------------------------------------------------- what a run leaves

PROBE_TEST = """\
import os, pathlib, time

def test_probe():
    startup = pathlib.Path(os.environ["IPYTHONDIR"], "profile_default", "startup")
    assert (startup / "00-strict-warnings.py").is_file()
    pathlib.Path({checkpoints!r}).mkdir(exist_ok=True)  # as a JupyterLab server under test does
    pathlib.Path({ready!r}).touch()
    {then}
"""
ENDINGS = {"passes": "pass", "fails": "assert False", "is-terminated": "time.sleep(120)"}


@pytest.mark.slow
@pytest.mark.parametrize("ending", ENDINGS)
def test_a_run_leaves_no_ipython_dir_or_checkpoints(
    probe_dir: Path, tmp_path: Path, ending: str
) -> None:
    """However the run ends, its temporary IPYTHONDIR and the notebooks/.ipynb_checkpoints it
    created are gone (one that was there before it stays); a SIGTERM still terminates it."""
    checkpoints_existed = CHECKPOINTS.exists()
    system_temp = tmp_path / "tmp"
    system_temp.mkdir()
    ready = tmp_path / "ready"
    probe = probe_dir / "test_probe.py"
    probe.write_text(
        PROBE_TEST.format(checkpoints=str(CHECKPOINTS), ready=str(ready), then=ENDINGS[ending])
    )
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", str(probe), "-q", "-p", "no:randomly"],
        cwd=ROOT,
        env=_environment(TMPDIR=str(system_temp)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        if ending == "is-terminated":
            deadline = time.monotonic() + 120
            while not ready.exists() and run.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert ready.exists(), run.communicate(timeout=10)[0]
            run.send_signal(signal.SIGTERM)
        output = run.communicate(timeout=120)[0]
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    expected = {"passes": 0, "fails": 1, "is-terminated": -signal.SIGTERM}[ending]
    assert run.returncode == expected, output[-2000:]
    assert ready.exists()
    assert list(system_temp.glob("course-ipython-*")) == []
    assert CHECKPOINTS.exists() == checkpoints_existed


# --------------------------------------------------------------------------- Makefile and CI


def _make(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_make_unit_runs_neither_the_browser_nor_the_kernel_tests() -> None:
    """The pytest command `make unit` runs (make -n prints it) collects the unit and structure
    tests, and none that drive a browser, JupyterLab or an nbval kernel."""
    planned = _make("-n", "unit")
    assert planned.returncode == 0, planned.stderr
    command = next(line for line in planned.stdout.splitlines() if "bin/pytest " in line)
    collected = subprocess.run(
        [*shlex.split(command), "--collect-only", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert collected.returncode == 0, collected.stdout[-3000:]
    ids = [line for line in collected.stdout.splitlines() if "::" in line]
    assert any(i.startswith("tests/unit/") for i in ids)
    assert any(i.startswith("tests/test_notebooks.py::") for i in ids)
    assert any(i.startswith("tests/test_harness.py::test_make_clean") for i in ids)
    assert not [i for i in ids if i.startswith("tests/browser/")]
    assert not [i for i in ids if "_checked_cell_" in i or "outdated_api_in_notebook" in i]


def test_make_help_lists_every_target() -> None:
    listed = {line.split()[1] for line in _make("help").stdout.splitlines()}
    makefile = (ROOT / "Makefile").read_text()
    phony = makefile.split(".PHONY:", 1)[1].split("\n\n", 1)[0].replace("\\", " ").split()
    assert set(phony) <= listed


@pytest.mark.parametrize("target", ["sync", "book", "notebooks", "slides"])
def test_a_chapter_that_matches_no_notebook_stops_the_target(target: str) -> None:
    """`make sync CHAPTER=99` (and the others) fail, saying why, before they build or run anything
    (`make -n`: even a working target would only print its commands)."""
    result = _make("-n", target, "CHAPTER=99")
    assert result.returncode != 0, result.stdout
    assert "no notebook matches CHAPTER=99 (notebooks/src/99*.py)" in result.stderr
    assert "the chapters are 00 01 02" in result.stderr


@pytest.mark.parametrize("target", ["sync", "book", "notebooks", "slides"])
def test_a_chapter_selects_the_notebook_paired_with_its_source(target: str) -> None:
    """CHAPTER=03 picks notebooks/src/03_*.py; what runs is its notebooks/03_*.ipynb, never an
    .ipynb beside the source (where `jupytext --to ipynb` would write one)."""
    result = _make("-n", target, "CHAPTER=03")
    assert result.returncode == 0, result.stderr
    assert "notebooks/03_neural_networks.ipynb" in result.stdout
    assert "src/03_neural_networks.ipynb" not in result.stdout
    assert "04_" not in result.stdout


def test_the_makefile_alone_names_the_default_mirror() -> None:
    assert "shared/data" in (ROOT / "Makefile").read_text()
    assert "shared/data" not in (ROOT / ".ci" / "run").read_text()
    assert _make("-s", "print-mirror", COURSE_DATA_MIRROR="/some/mirror").stdout == "/some/mirror\n"
    assert _make("-s", "print-mirror", COURSE_DATA_MIRROR="").stdout == "\n"


FAKE_MAKE = """\
#!/usr/bin/env bash
echo "$*" >> {log}
case " $* " in *" print-mirror "*) exec {make} "$@";; esac
"""


@pytest.mark.parametrize("mirror", ["a-mirror", ""])
def test_ci_reproduces_the_results_exactly_when_the_makefile_has_a_mirror(
    tmp_path: Path, mirror: str
) -> None:
    """.ci/run asks the Makefile for the mirror (a stand-in `make` runs nothing else)."""
    bin_dir, log = tmp_path / "bin", tmp_path / "make.log"
    bin_dir.mkdir()
    fake = bin_dir / "make"
    fake.write_text(FAKE_MAKE.format(log=shlex.quote(str(log)), make=shutil.which("make")))
    fake.chmod(0o755)
    value = str(tmp_path / mirror) if mirror else ""
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env["COURSE_DATA_MIRROR"] = value
    result = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert f"CI: data mirror: {value or 'none'}" in result.stdout
    goals = [line.split()[-1] for line in log.read_text().splitlines()]
    assert goals == (["print-mirror", "test", "reproduce"] if mirror else ["print-mirror", "test"])


def test_make_clean_removes_every_cache_and_keeps_the_data(tmp_path: Path) -> None:
    """`make clean` in a scratch tree laid out like the book's."""
    removed = [
        ".venv/bin",
        "build/slides",
        "node_modules/reveal.js",
        ".pytest_cache",
        ".ruff_cache",
        "course_utils.egg-info",
        "course_utils/__pycache__",
        "tests/__pycache__",
        "tests/unit/__pycache__",
        "tests/browser/__pycache__",
        "scripts/__pycache__",
        "__pycache__",
        "notebooks/.ipynb_checkpoints",
    ]
    kept = [
        "data/MNIST/raw",
        "data/tensors/__pycache__",
        "data/checkpoints/.ipynb_checkpoints",
        "course_utils/kept",
        "tests/unit/kept",
        "notebooks/kept",
        "results/kept",
    ]
    for folder in removed + kept:
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "file").write_text("x")
    result = _make("-s", "-C", str(tmp_path), "-f", str(ROOT / "Makefile"), "clean")
    assert result.returncode == 0, result.stderr
    assert [f for f in removed if (tmp_path / f).exists()] == []
    assert [f for f in kept if not (tmp_path / f / "file").is_file()] == []
