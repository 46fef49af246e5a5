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
        assert _checks_its_answer(cell.source), (
            f"a solution checks its answer (an assert on a name it computed):\n{cell.source}"
        )


def _assigned_names(tree: ast.AST) -> set[str]:
    """Names a piece of code binds: assignments, loop and with targets, imports, definitions."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


def _checks_its_answer(code: str) -> bool:
    """Whether ``code`` has an ``assert`` whose test uses a name the code itself computed."""
    tree = ast.parse(code)
    computed = _assigned_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            used = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
            if used & computed:
                return True
    return False


@pytest.mark.parametrize(
    ("code", "checks"),
    [
        ("best = max(scores)\nassert best > 0.5", True),
        ("for k in range(3):\n    total = k\nassert total == 2", True),
        ("assert model_from_the_chapter.training is False", False),  # nothing computed here
        ("best = max(scores)\n# assert best > 0.5\nprint(best)", False),  # a comment
        ("best = max(scores)\nprint('assert')", False),
    ],
)
def test_the_solution_check_wants_an_assert_on_a_computed_name(code: str, checks: bool) -> None:
    assert _checks_its_answer(code) is checks


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


# ---------------------------------------------------------- every number in prose was printed

# A number in prose that a run produced must be one the notebook printed: its committed outputs
# (full profile) must hold a value that rounds to it, at the prose's precision (a fraction may be
# written as a percentage). The scan takes decimals (0.0381, 1.65) and percentages (26 %);
# whole numbers without a % are counts and settings (10 epochs, batch 64), not scanned. A number
# from elsewhere is marked as quoted where it is written (docs/CHAPTER_CONVENTIONS.md):
# in "double quotes" (what a seed or Morvan printed) or on a "> " blockquote line (a table or a
# passage quoted from a named source). Not scanned either: `code`, $math$, link targets, version
# numbers ("PyTorch 0.4", "since 1.13") and settings that stand in the chapter's code (lr 0.005).
PROSE_NUMBER = re.compile(r"(?<![\w.\-/−])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s?%)?(?![\w.]*\d)")
VERSION_BEFORE = re.compile(
    r"(PyTorch|torch|Python|matplotlib|torchvision|NumPy|jupytext|release|[Vv]ersion|since|"
    r"until|about)\s+$"
)
NOT_SCANNED = [
    re.compile(r"```.*?```", re.S),  # fenced code
    re.compile(r"`[^`\n]*`"),  # code spans
    re.compile(r"\$\$.*?\$\$", re.S),  # display math
    re.compile(r"\$[^$\n]*\$"),  # inline math
    re.compile(r"\"[^\"\n]*\"|“[^”\n]*”"),  # quoted
    re.compile(r"^>.*$", re.M),  # blockquote lines
    re.compile(r"\]\([^)\s]*\)"),  # link targets
]
NUMBER_IN_TEXT = re.compile(r"\d[\d,]*(?:\.\d+)?(?:e-?\d+)?")


def _numbers_in(text: str) -> set[float]:
    return {float(n.replace(",", "")) for n in NUMBER_IN_TEXT.findall(text)}


def _printed_text(notebook: nbformat.NotebookNode) -> str:
    """Every text output of the notebook: streams and text/plain results."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            parts.append("".join(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def _shown(value: float, decimals: int, percent: bool, printed: set[float]) -> bool:
    """Whether some printed (or coded) number, rounded to ``decimals``, is ``value``."""
    for number in printed:
        for candidate in (number, 100 * number) if percent else (number,):
            if abs(round(candidate, decimals) - value) < 1e-9:
                return True
    return False


def _unprinted_numbers(notebook: nbformat.NotebookNode) -> list[str]:
    """Numbers in markdown cells that neither the outputs nor the code show, nor marked quoted."""
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    printed = _numbers_in(_printed_text(notebook)) | _numbers_in(code)
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        prose = cell.source
        for pattern in NOT_SCANNED:
            prose = pattern.sub(lambda m: " " * len(m.group(0)), prose)
        for match in PROSE_NUMBER.finditer(prose):
            whole, fraction, percent = match.groups()
            if not (fraction or percent) or VERSION_BEFORE.search(prose[: match.start()]):
                continue
            value = float(whole.replace(",", "") + (fraction or ""))
            decimals = len(fraction) - 1 if fraction else 0
            if not _shown(value, decimals, bool(percent), printed):
                context = " ".join(prose[max(0, match.start() - 40) : match.end() + 10].split())
                found.append(f"cell {index}: {match.group(0).strip()!r} in '…{context}…'")
    return found


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_every_number_in_prose_was_printed_or_is_marked_quoted(source: Path) -> None:
    found = _unprinted_numbers(_notebook(source))
    assert not found, (
        "numbers in prose that no output of the committed notebook shows: print them (or refer "
        'to "the output above"), or mark them as quoted ("…" or a > line naming the source):\n'
        + "\n".join(found)
    )


def _toy_notebook(prose: str, printed: str = "", code: str = "") -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(code)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(prose), cell])


@pytest.mark.parametrize(
    ("prose", "printed", "code", "flagged"),
    [
        ("The error fell to 0.0381.", "test MSE 0.0381", "", False),
        ("The error fell to 0.038.", "test MSE 0.0381", "", False),  # rounded
        ("The error fell to 0.0391.", "test MSE 0.0381", "", True),
        ("Accuracy 95.9 % on all.", "accuracy 0.9586", "", False),  # a fraction as percent
        ("Accuracy 95.9 % on all.", "accuracy 0.9386", "", True),
        ('Morvan printed "0.95" at the end.', "", "", False),
        ("> | H100 | 0.26 s | (COURSE_PLAN) |", "", "", False),
        ("Use `lr=0.005` here.", "", "", False),
        ("With Adam at lr 0.005.", "", "lr = 0.005", False),  # a setting in the code
        ("Since PyTorch 0.4 and torchvision 0.13.", "", "", False),
        ("Ten epochs, batch 64, 60,000 images.", "", "", False),  # counts are not scanned
        ("It took 1.65 times as long.", "", "", True),
        ("The ratio $e^{0.5}$ and [docs](https://x.org/v2.1/)", "", "", False),
    ],
)
def test_the_prose_number_scan(prose: str, printed: str, code: str, flagged: bool) -> None:
    assert bool(_unprinted_numbers(_toy_notebook(prose, printed, code))) is flagged
