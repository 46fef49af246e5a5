"""site/course_site.py, the staging step of `make html`, without building the site.

The built site itself (every page, its links, offline, in Chromium) is tests/browser/test_html.py.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from test_docs import heading_anchor as jupyterlab_anchor

ROOT = Path(__file__).resolve().parent.parent


def _load_course_site() -> ModuleType:
    """site/ is no package (and `site` is a standard module): load the file by its path."""
    spec = importlib.util.spec_from_file_location("course_site", ROOT / "site" / "course_site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


course_site = _load_course_site()

README = """# A book

What it is.

## The chapters

| # | notebook | full run, 2 cores | what you learn |
|---|---|---|---|
| 00 | [welcome](notebooks/00_welcome.ipynb) | 12 s | how to use the book, `a \\| b` |

More prose.

## Data

The data.
"""


def _notebook(title: str, *cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    intro = nbformat.v4.new_markdown_cell(f"# {title}\n\nFirst sentence. Second sentence.")
    return nbformat.v4.new_notebook(cells=[intro, *cells])


def _solution() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("answer = 2\nassert answer == 2")
    cell.metadata = {"jupyter": {"source_hidden": True}, "tags": ["solution"]}
    return cell


def _book(root: Path, chapters: dict[str, str]) -> None:
    """A small repository: README, docs, results, and one notebook per ``{name: title}``."""
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    (root / "docs").mkdir(exist_ok=True)
    (root / "results").mkdir(exist_ok=True)
    (root / "README.md").write_text(README)
    for page in ("GLOSSARY", "OPEN_QUESTIONS", "CHAPTER_CONVENTIONS"):
        (root / "docs" / f"{page}.md").write_text(f"# {page}\n")
    (root / "results" / "RESULTS.md").write_text("# Results\n")
    for name, title in chapters.items():
        nbformat.write(_notebook(title, _solution()), root / "notebooks" / f"{name}.ipynb")


@pytest.mark.parametrize(
    "heading",
    [
        "### `None` or zeros?",
        '## 7. "My predictions differ from the tutorial\'s"',
        "### One batch: `next(iter(loader))`",
        "## Per-class accuracy, fixed",
    ],
)
def test_the_slug_is_the_anchor_jupyterlab_gives_a_heading(heading: str) -> None:
    """myst hands the slug function the heading's text without its code marks."""
    text = heading.lstrip("#").strip().replace("`", "")
    assert course_site.heading_anchor(text) == jupyterlab_anchor(heading)


def test_a_percent_sign_in_a_heading_is_written_as_markdown_it_leaves_it_in_links() -> None:
    assert course_site.heading_anchor('What "99 % from epoch 3" really was') == (
        'What-"99-%25-from-epoch-3"-really-was'
    )


def test_readme_rows_name_their_cells_by_the_header() -> None:
    rows = course_site.readme_rows(README + "\n| # | other table |\n|---|---|\n| 01 | x |\n")
    assert rows == {
        "00": {
            "#": "00",
            "notebook": "[welcome](notebooks/00_welcome.ipynb)",
            "full run, 2 cores": "12 s",
            "what you learn": "how to use the book, `a \\| b`",
        },
        "01": {"#": "01", "other table": "x"},
    }


def test_readme_rows_are_read_from_the_real_readme() -> None:
    rows = course_site.readme_rows((ROOT / "README.md").read_text(encoding="utf-8"))
    chapters = {path.name[:2] for path in ROOT.glob(course_site.CHAPTERS)}
    assert rows and set(rows) <= chapters
    summaries = [row[course_site.SUMMARY_COLUMN] for row in rows.values()]
    assert all(summary and not summary.startswith("[") for summary in summaries)


def test_a_chapter_readme_does_not_list_is_summarised_by_its_first_sentence(
    tmp_path: Path,
) -> None:
    path = tmp_path / "16_new.ipynb"
    nbformat.write(_notebook("Chapter 16 — Something new"), path)
    chapter = course_site.read_chapter(path, {"00": {"what you learn": "listed"}})
    assert chapter == course_site.Chapter(
        "16", "16_new", "Chapter 16 — Something new", "First sentence.", ""
    )
    listed = {"16": {"what you learn": "listed", "full run, 2 cores": "1 min 05 s"}}
    assert course_site.read_chapter(path, listed).summary == "listed"
    assert course_site.read_chapter(path, listed).time == "1 min 05 s"


def test_the_home_page_is_the_readme_with_a_generated_chapter_table() -> None:
    chapters = [
        course_site.Chapter("00", "00_welcome", "Chapter 0 — Welcome", "how to use it", "12 s"),
        course_site.Chapter("01", "01_later", "Chapter 1 — Added later", "First sentence."),
    ]
    page = course_site.home_page(README, chapters, ["docs/GLOSSARY.md", "results/RESULTS.md"])
    assert "[welcome](notebooks/00_welcome.ipynb)" not in page  # README's own table is gone
    assert "| 00 | [Welcome](notebooks/00_welcome.ipynb) | 12 s | how to use it |" in page
    assert "| 01 | [Added later](notebooks/01_later.ipynb) |  | First sentence. |" in page
    assert 'href="slides/01_later.slides.html"' in page
    assert 'href="notebooks/01_later.ipynb" download="01_later.ipynb"' in page
    assert page.index("## The chapters") < page.index("| 01 |") < page.index("More prose.")
    assert page.index("More prose.") < page.index("## Data")
    for document in ("notebooks/00_welcome", "notebooks/01_later", "docs/GLOSSARY"):
        assert f"\n{document}\n" in page  # in a toctree
    assert "\nresults/RESULTS\n" in page


def test_a_readme_without_a_chapter_section_still_gets_the_table() -> None:
    chapters = [course_site.Chapter("00", "00_welcome", "Welcome", "x")]
    page = course_site.home_page("# A book\n\nProse.\n", chapters, [])
    assert page.index("Prose.") < page.index("## The chapters") < page.index("| 00 |")


def test_solutions_are_hidden_and_the_chapter_links_its_deck_and_notebook() -> None:
    hidden_input = nbformat.v4.new_code_cell("setup = 1")
    hidden_input.metadata = {"jupyter": {"source_hidden": True}}
    shown = nbformat.v4.new_code_cell("shown = 1")
    notebook = _notebook("Chapter 2 — Autograd", shown, hidden_input, _solution())
    chapter = course_site.Chapter("02", "02_autograd", "Chapter 2 — Autograd", "")
    staged = course_site.stage_notebook(notebook, chapter)
    tags = [cell.metadata.get("tags", []) for cell in staged.cells]
    assert tags[1:] == [[], ["hide-input"], ["solution", "hide-cell"]]
    title = staged.cells[0].source
    assert title.startswith('# Chapter 2 — Autograd\n\n<p class="course-links">')
    assert 'href="../slides/02_autograd.slides.html"' in title
    assert 'href="../notebooks/02_autograd.ipynb" download="02_autograd.ipynb"' in title
    assert "First sentence." in title
    assert notebook.cells[3].metadata["tags"] == ["solution"]  # the original is left alone


def test_stage_picks_up_a_new_chapter_and_drops_a_removed_one(tmp_path: Path) -> None:
    root, src = tmp_path / "repo", tmp_path / "src"
    _book(root, {"00_welcome": "Chapter 0 — Welcome", "01_tensors": "Chapter 1 — Tensors"})
    course_site.stage(root, src)
    _book(root, {"02_autograd": "Chapter 2 — Autograd"})  # a chapter added later
    (root / "notebooks" / "01_tensors.ipynb").unlink()
    (root / "results" / "GPU.md").write_text("# GPU\n")
    chapters = course_site.stage(root, src)
    assert [chapter.name for chapter in chapters] == ["00_welcome", "02_autograd"]
    staged = sorted(path.relative_to(src).as_posix() for path in src.rglob("*") if path.is_file())
    assert staged == [
        "docs/CHAPTER_CONVENTIONS.md",
        "docs/GLOSSARY.md",
        "docs/OPEN_QUESTIONS.md",
        "index.md",
        "notebooks/00_welcome.ipynb",
        "notebooks/02_autograd.ipynb",
        "results/GPU.md",
        "results/RESULTS.md",
    ]
    index = (src / "index.md").read_text()
    assert "[Autograd](notebooks/02_autograd.ipynb)" in index and "01_tensors" not in index
    notebook = json.loads((src / "notebooks" / "02_autograd.ipynb").read_text())
    assert "hide-cell" in notebook["cells"][1]["metadata"]["tags"]


def test_stage_rewrites_nothing_that_did_not_change(tmp_path: Path) -> None:
    """Sphinx re-reads a source whose time changed: an unchanged book keeps every time."""
    root, src = tmp_path / "repo", tmp_path / "src"
    _book(root, {"00_welcome": "Chapter 0 — Welcome"})
    course_site.stage(root, src)
    times = {path: path.stat().st_mtime_ns for path in src.rglob("*") if path.is_file()}
    course_site.stage(root, src)
    assert times == {path: path.stat().st_mtime_ns for path in src.rglob("*") if path.is_file()}


def _seconds(time: str) -> int:
    """Seconds of a time written "4 min 41 s" or "52 s"; anything else fails."""
    match = re.fullmatch(r"(?:(\d+) min )?(\d+) s", time)
    assert match, f"not a time like '4 min 41 s' or '52 s': {time!r}"
    return int(match.group(1) or 0) * 60 + int(match.group(2))


def test_readme_gives_every_chapter_its_full_run_time_and_the_total() -> None:
    """Each chapter's row carries its measured full-profile time (`make book` prints it), and the
    line under the table their sum: a chapter added later needs its time too."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = course_site.readme_rows(readme)
    chapters = sorted(path.name[:2] for path in ROOT.glob(course_site.CHAPTERS))
    assert sorted(rows) == chapters
    total = sum(_seconds(rows[number][course_site.TIME_COLUMN]) for number in chapters)
    stated = re.search(r"^All \d+ chapters: (.+?) in the full profile", readme, re.MULTILINE)
    assert stated, "README states the whole book's full-profile time under the chapter table"
    assert _seconds(stated.group(1)) == total
    assert stated.group(0).startswith(f"All {len(chapters)} chapters")
