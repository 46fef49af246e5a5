"""Structure of the book: jupytext pairs in sync, slide metadata, exercises, modern API only.

Each chapter is a pair: ``notebooks/src/NN_name.py`` (the percent-format source) and
``notebooks/NN_name.ipynb`` (with outputs), paired by the formats ``ipynb,src//py:percent``.
These tests read the committed files; nbval (``pytest notebooks``) executes them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.paired_paths import paired_paths

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCE_DIR = NOTEBOOKS / "src"
SOURCES = sorted(SOURCE_DIR.glob("[0-9][0-9]_*.py"))
FORMATS = "ipynb,src//py:percent"
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
KERNEL = "pytorch-course"


def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


def _ipynb(source: Path) -> Path:
    """notebooks/src/NN_name.py -> notebooks/NN_name.ipynb, its pair."""
    return NOTEBOOKS / f"{source.stem}.ipynb"


def _notebook(source: Path) -> nbformat.NotebookNode:
    return nbformat.read(_ipynb(source), as_version=4)


def test_the_book_has_chapters() -> None:
    assert SOURCES, "no notebooks/src/NN_name.py found"


def test_every_ipynb_has_its_py_and_every_py_its_ipynb() -> None:
    ipynbs = {path.stem for path in NOTEBOOKS.glob("*.ipynb")}
    assert ipynbs == {path.stem for path in SOURCES}
    # Students open the notebooks; the sources stay in src/, out of `make lab`'s way.
    assert sorted(NOTEBOOKS.glob("*.py")) == []
    assert sorted(SOURCE_DIR.glob("*.ipynb")) == []


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_both_files_of_a_pair_name_the_src_prefix(source: Path) -> None:
    """The formats, in the .py header and in the .ipynb metadata, pair notebooks/NN_name.ipynb
    with notebooks/src/NN_name.py (so JupyterLab's jupytext saves the source where it lives)."""
    assert jupytext.read(source).metadata["jupytext"]["formats"] == FORMATS
    assert _notebook(source).metadata["jupytext"]["formats"] == FORMATS
    pair = [Path(path) for path, _ in paired_paths(str(_ipynb(source)), "ipynb", FORMATS)]
    assert pair == [_ipynb(source), source]


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_pair_is_in_sync(source: Path) -> None:
    """The .ipynb written back as percent-format text must equal the .py, character for character.

    (jupytext's own --sync trusts file timestamps, which a fresh clone does not keep.)
    """
    as_text = jupytext.writes(jupytext.read(_ipynb(source)), fmt="py:percent")
    assert as_text == source.read_text(), (
        f"{source.name} and its .ipynb differ: run `make sync` (then `make book` for outputs)"
    )


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_runs_in_the_books_kernel(source: Path) -> None:
    assert _notebook(source).metadata.kernelspec.name == KERNEL


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_every_cell_carries_slide_metadata(source: Path) -> None:
    cells = _notebook(source).cells
    missing = [
        i
        for i, cell in enumerate(cells)
        if cell.metadata.get("slideshow", {}).get("slide_type") not in SLIDE_TYPES
    ]
    assert not missing, f"cells without a valid slideshow.slide_type: {missing}"
    assert cells[0].metadata.slideshow.slide_type == "slide", "the title cell opens a slide"


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_ends_with_exercises_whose_solutions_are_hidden_and_checked(source: Path) -> None:
    cells = _notebook(source).cells
    assert any(c.cell_type == "markdown" and "## Exercises" in c.source for c in cells)
    solutions = [c for c in cells if "solution" in c.metadata.get("tags", [])]
    assert 2 <= len(solutions) <= 4, f"{len(solutions)} solution cells; want 2 to 4"
    for cell in solutions:
        assert cell.cell_type == "code"
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True
        assert cell.metadata.slideshow.slide_type == "skip"
        assert "assert" in cell.source, "a solution checks its own answer"


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_committed_outputs_are_complete_and_error_free(source: Path) -> None:
    code = [c for c in _notebook(source).cells if c.cell_type == "code"]
    not_run = [i for i, c in enumerate(code) if c.execution_count is None]
    assert not not_run, f"code cells never executed (run `make book`): {not_run}"
    errors = [i for i, c in enumerate(code) for o in c.outputs if o.output_type == "error"]
    assert not errors, f"code cells with error outputs: {errors}"
    checked = [c for c in code if "nbval-check-output" in c.metadata.get("tags", [])]
    assert checked, "tag the deterministic cells nbval-check-output so the tests compare them"


# --------------------------------------------------------------------------- modern API only

OUTDATED = {
    "Variable": "torch.autograd.Variable was merged into Tensor (PyTorch 0.4)",
    "pretrained": "use weights=... (torchvision 0.13+)",
}


def _outdated_calls(code: str) -> list[str]:
    """Names of outdated API used in ``code`` (comments and strings are not code, so they pass)."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name) and node.id == "Variable":
            found.append(f"Variable: {OUTDATED['Variable']}")
        if isinstance(node, ast.ImportFrom) and any(a.name == "Variable" for a in node.names):
            found.append("import of Variable")
        if not isinstance(node, ast.Call):
            continue
        keywords = {k.arg for k in node.keywords}
        if "pretrained" in keywords:
            found.append(f"pretrained=: {OUTDATED['pretrained']}")
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "next" and isinstance(func, ast.Attribute) and not node.args:
            found.append("iterator.next(): use next(iterator)")
        if (
            name == "load"
            and ast.unparse(func).endswith("torch.load")
            and ("weights_only" not in keywords)
        ):
            found.append("torch.load without weights_only=True")
        if name in {"softmax", "log_softmax"} and "dim" not in keywords and len(node.args) < 2:
            found.append(f"{name} without dim")
    return found


def _code_cells(source: Path) -> list[str]:
    cells = jupytext.read(source).cells
    return [
        "\n".join(
            line for line in c.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        for c in cells
        if c.cell_type == "code"
    ]


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_notebook_code_uses_modern_api_only(source: Path) -> None:
    found = [
        f"cell {i}: {p}"
        for i, code in enumerate(_code_cells(source))
        for p in _outdated_calls(code)
    ]
    assert not found


def test_course_utils_uses_modern_api_only() -> None:
    package = NOTEBOOKS.parent / "course_utils"
    found = [
        f"{path.name}: {p}"
        for path in sorted(package.glob("*.py"))
        for p in _outdated_calls(path.read_text())
    ]
    assert not found


@pytest.mark.parametrize(
    "snippet, problem",
    [
        ("from torch.autograd import Variable", "import of Variable"),
        ("x = Variable(t)", "Variable"),
        ("m = resnet18(pretrained=True)", "pretrained"),
        ("images, labels = dataiter.next()", "next()"),
        ("state = torch.load(path)", "weights_only"),
        ("p = F.softmax(x)", "without dim"),
    ],
)
def test_the_api_scan_catches_each_outdated_call(snippet: str, problem: str) -> None:
    assert any(problem in found for found in _outdated_calls(snippet))


def test_the_api_scan_passes_modern_code_and_prose() -> None:
    modern = (
        "state = torch.load(path, weights_only=True)\n"
        "p = F.softmax(x, dim=1)\nimages, labels = next(iter(loader))\n"
        "# the notes wrote Variable(x) and dataiter.next()\nnote = 'pretrained=True'"
    )
    assert _outdated_calls(modern) == []


# ------------------------------------------------------------------- no assertion on a timing

TIMING_NAME = re.compile(r"(^t_|second|elapsed|duration|_time$|^time_)")


def _timing_asserts(code: str) -> list[str]:
    """``assert`` statements that compare measured times: they fail on a busy machine."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Assert):
            names = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
            if any(TIMING_NAME.search(name) for name in names):
                found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_no_cell_asserts_on_a_timing(source: Path) -> None:
    """Timings are printed, never asserted: another job on the CPU changes any ratio."""
    found = [a for code in _code_cells(source) for a in _timing_asserts(code)]
    assert not found, f"assertions on timings (print them instead): {found}"


@pytest.mark.parametrize(
    ("snippet", "flagged"),
    [
        ("assert t_python > 10 * t_torch", True),
        ("assert fast_seconds < seconds['DataLoader']", True),
        ("assert accuracy > 0.5 and loss < 1", False),
        ("print(f'{t_python:.1f}')", False),
    ],
)
def test_the_timing_scan(snippet: str, flagged: bool) -> None:
    assert bool(_timing_asserts(snippet)) is flagged


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_chapters_read_settings_through_course_utils(source: Path) -> None:
    """``COURSE_*`` variables are read by ``course_utils.config`` only (chapter 00 sets
    COURSE_PROFILE on purpose, to show the switch, and puts it back)."""
    reads = re.compile(r"(os\.environ\.get|getenv)\(\s*[\"']COURSE_")
    found = [code for code in _code_cells(source) if reads.search(code)]
    assert not found or source.name.startswith("00_"), found
