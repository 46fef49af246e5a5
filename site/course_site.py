"""`make html`: the book as a static, offline site, rendered from the committed outputs.

Sphinx (with myst-nb, which never executes a notebook here) reads a staged copy of the book,
``build/html-cache/src``, laid out like the repository so that relative links keep working:

- ``index.md``: README.md, with its chapter table replaced by one generated from
  ``notebooks/[0-9][0-9]_*.ipynb`` (a new chapter appears without edits), and the site's toctrees;
- ``notebooks/NN_name.ipynb``: each chapter, with a line of links under its title (its slide
  deck, its notebook to download) and its hidden cells tagged for myst-nb: exercise solutions
  (tag ``solution``) as ``hide-cell``, other cells with ``jupyter.source_hidden`` as
  ``hide-input``, so that they stay in a closed ``<details>``;
- ``docs/*.md`` and ``results/*.md``: the glossary, the map of open questions, the chapter
  conventions, the results.

Section links such as ``../notebooks/02_autograd.ipynb#Your-own-operator`` resolve because
:func:`heading_anchor` gives myst the anchors JupyterLab gives headings. After Sphinx, the
original notebooks (for download), the decks of ``make slides`` and MathJax are copied into the
site, so the folder works on its own: served, or opened as files.

Run from the Makefile: ``python site/course_site.py --out build/html --slides build/slides``.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(__file__).resolve().parent
CHAPTERS = "notebooks/[0-9][0-9]_*.ipynb"
# The pages besides the home page and the chapters, in the order of the site's navigation.
PAGES = [
    "docs/GLOSSARY.md",
    "docs/OPEN_QUESTIONS.md",
    "results/*.md",
    "docs/CHAPTER_CONVENTIONS.md",
]
SOLUTION_TAG = "solution"


# README's chapter table: the columns the site reads (a row may have others).
SUMMARY_COLUMN = "what you learn"
TIME_COLUMN = "full run, 2 cores"


@dataclass(frozen=True)
class Chapter:
    """One chapter: ``notebooks/NN_name.ipynb``, its title and what it teaches."""

    number: str
    name: str  # NN_name
    title: str  # its first heading, "Chapter 2 — Autograd: derivatives for free"
    summary: str  # README's "what you learn" for it, else its first sentence
    time: str = ""  # README's full-profile time for it, "1 min 05 s", else nothing


def heading_anchor(title: str) -> str:
    """The anchor JupyterLab gives a heading (its text, spaces as hyphens): myst's slug function,
    so that links written for JupyterLab (docs/OPEN_QUESTIONS.md) resolve in the site too. A "%"
    is written "%25", as markdown-it leaves it in a link's target."""
    return "-".join(title.split()).replace("%", "%25")


def readme_rows(readme: str) -> dict[str, dict[str, str]]:
    """README's chapter rows as {"02": {column name: cell}}: every table row that starts with a
    two-digit number, its cells named by its table's header row."""
    rows: dict[str, dict[str, str]] = {}
    header: list[str] | None = None
    for line in readme.splitlines():
        if not line.startswith("|"):
            header = None  # a table ends at the first line that is not a row
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if header is None:
            header = cells
        elif re.fullmatch(r"\d\d", cells[0]) and len(cells) == len(header):
            rows[cells[0]] = dict(zip(header, cells, strict=True))
    return rows


def read_chapter(path: Path, rows: dict[str, dict[str, str]]) -> Chapter:
    """The chapter of ``notebooks/NN_name.ipynb``: its title is its first markdown heading; what
    it teaches and its time come from README's row for it (:func:`readme_rows`)."""
    cells = nbformat.read(path, as_version=4).cells
    text = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
    heading = re.search(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.MULTILINE)
    title = heading.group(1) if heading else path.stem
    number = path.name[:2]
    row = rows.get(number, {})
    if row.get(SUMMARY_COLUMN):
        summary = row[SUMMARY_COLUMN]
    else:  # a chapter README does not list yet: the first sentence under its title
        after = text[heading.end() :] if heading else text
        prose = next((p for p in after.split("\n\n") if p.strip()), "")
        summary = re.split(r"(?<=[.!?])\s", " ".join(prose.split()), maxsplit=1)[0]
    return Chapter(number, path.stem, title, summary, row.get(TIME_COLUMN, ""))


def chapter_links(chapter: Chapter, prefix: str) -> str:
    """Raw HTML links to a chapter's deck and notebook, from a page ``prefix`` below the root."""
    return (
        f'<a class="course-deck" href="{prefix}slides/{chapter.name}.slides.html">slides</a> · '
        f'<a class="course-notebook" href="{prefix}notebooks/{chapter.name}.ipynb" '
        f'download="{chapter.name}.ipynb">notebook (.ipynb)</a>'
    )


def chapter_table(chapters: list[Chapter]) -> str:
    """The home page's table: each chapter linked, what it teaches, its deck and its notebook."""
    lines = [
        f"| # | chapter | {TIME_COLUMN} | {SUMMARY_COLUMN} | deck and notebook |",
        "|---|---|---|---|---|",
    ]
    for chapter in chapters:
        title = re.sub(r"^Chapter \d+\s*[—–-]\s*", "", chapter.title).replace("|", "\\|")
        lines.append(
            f"| {chapter.number} | [{title}](notebooks/{chapter.name}.ipynb) | {chapter.time} "
            f"| {chapter.summary} | {chapter_links(chapter, '')} |"
        )
    return "\n".join(lines)


def toctree(caption: str, documents: list[str]) -> str:
    """A hidden toctree: the site's navigation, not shown in the page."""
    return "\n".join(["```{toctree}", ":hidden:", f":caption: {caption}", "", *documents, "```"])


def home_page(readme: str, chapters: list[Chapter], pages: list[str]) -> str:
    """README.md as the home page, its chapter table generated from the chapters themselves."""
    table = chapter_table(chapters)
    section = re.search(r"^## The chapters\s*$", readme, flags=re.MULTILINE)
    if section is None:  # README without the section: the table goes at the end
        body = f"{readme.rstrip()}\n\n## The chapters\n\n{table}\n"
    else:
        old = re.compile(r"(?:^\|.*\n?)+", flags=re.MULTILINE)
        found = old.search(readme, section.end())
        next_section = re.compile(r"^## ", flags=re.MULTILINE).search(readme, section.end())
        if found and (next_section is None or found.start() < next_section.start()):
            body = f"{readme[: found.start()]}{table}\n{readme[found.end() :]}"
        else:
            at = section.end()
            body = f"{readme[:at]}\n\n{table}\n{readme[at:]}"
    documents = [f"notebooks/{chapter.name}" for chapter in chapters]
    reference = [page.removesuffix(".md") for page in pages]
    navigation = f"{toctree('Chapters', documents)}\n\n{toctree('Reference', reference)}"
    return f"{body.rstrip()}\n\n{navigation}\n"


def stage_notebook(notebook: nbformat.NotebookNode, chapter: Chapter) -> nbformat.NotebookNode:
    """The chapter as the site renders it: hidden cells tagged so that myst-nb keeps them in a
    closed ``<details>``, and the links to its deck and notebook under its title."""
    staged = nbformat.from_dict(notebook)
    for cell in staged.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code":
            continue
        if SOLUTION_TAG in tags:  # the answer may be in its output too: hide all of it
            cell.metadata["tags"] = [*tags, "hide-cell"]
        elif cell.metadata.get("jupyter", {}).get("source_hidden"):
            cell.metadata["tags"] = [*tags, "hide-input"]
    links = f'<p class="course-links">{chapter_links(chapter, "../")}</p>\n'
    for cell in staged.cells:
        if cell.cell_type == "markdown":
            heading = re.search(r"^#{1,6}\s.*$", cell.source, flags=re.MULTILINE)
            if heading:
                at = heading.end()
                cell.source = f"{cell.source[:at]}\n\n{links}{cell.source[at:]}"
                break
    return staged


def _write(path: Path, text: str) -> None:
    """Write ``text`` unless the file holds it already (Sphinx rebuilds only what changed)."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _copy(source: Path, target: Path) -> None:
    """Copy a file, keeping its time, unless the same bytes are there already."""
    if target.is_file() and filecmp.cmp(source, target, shallow=False):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def site_pages(root: Path) -> list[str]:
    """The pages besides the home page and the chapters that exist, as paths under ``root``."""
    found = []
    for pattern in PAGES:
        found += sorted(path.relative_to(root).as_posix() for path in root.glob(pattern))
    return found


def stage(root: Path, src: Path) -> list[Chapter]:
    """Lay out the site's sources in ``src``; remove what an earlier run left that is gone now."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    rows = readme_rows(readme)
    paths = sorted(root.glob(CHAPTERS))
    chapters = [read_chapter(path, rows) for path in paths]
    pages = site_pages(root)
    wanted = {src / "index.md"}
    _write(src / "index.md", home_page(readme, chapters, pages))
    for path, chapter in zip(paths, chapters, strict=True):
        staged = stage_notebook(nbformat.read(path, as_version=4), chapter)
        target = src / "notebooks" / path.name
        _write(target, nbformat.writes(staged) + "\n")
        wanted.add(target)
    for page in pages:
        _copy(root / page, src / page)
        wanted.add(src / page)
    for path in sorted(src.rglob("*"), reverse=True):
        if path.is_file() and path not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return chapters


def build(root: Path, out: Path, slides: Path, cache: Path) -> None:
    """Stage, run Sphinx, then copy the notebooks, the decks and MathJax into the site."""
    from sphinx.cmd.build import build_main

    src = cache / "src"
    chapters = stage(root, src)
    # -W --keep-going: every warning is reported and fails the build (a broken link among them).
    options = ["-b", "html", "-q", "-W", "--keep-going", "-c", str(SITE)]
    if build_main([*options, "-d", str(cache / "doctrees"), str(src), str(out)]) != 0:
        sys.exit("sphinx-build failed (its warnings are above)")
    for chapter in chapters:
        name = f"{chapter.name}.ipynb"
        _copy(root / "notebooks" / name, out / "notebooks" / name)
    shutil.rmtree(out / "slides", ignore_errors=True)
    shutil.copytree(slides, out / "slides")
    shutil.copytree(slides / "lib" / "mathjax", out / "_static" / "mathjax", dirs_exist_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "html")
    parser.add_argument(
        "--slides", type=Path, default=ROOT / "build" / "slides", help="make slides' decks"
    )
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "html-cache")
    options = parser.parse_args(argv)
    missing = [
        str(p) for p in (options.slides, options.slides / "lib" / "mathjax") if not p.is_dir()
    ]
    if missing:
        sys.exit(f"no decks at {', '.join(missing)}: run `make slides` first (make html does)")
    build(ROOT, options.out.resolve(), options.slides.resolve(), options.cache.resolve())


if __name__ == "__main__":
    main()
