"""The map of the notes' open questions (docs/OPEN_QUESTIONS.md): every link leads somewhere.

Each row links the chapter section that answers a question the study notes left open, or that
shows an outdated call in its modern form. A link is ``../notebooks/NN_name.ipynb#Anchor``, the
anchor JupyterLab gives a heading (its text, spaces turned into hyphens).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
MAP = ROOT / "docs" / "OPEN_QUESTIONS.md"
COURSE_PLAN = ROOT.parent / "shared" / "COURSE_PLAN.md"  # beside the repository, where present


def _link_targets(markdown: str) -> list[str]:
    """The targets of ``[text](target)`` links, parentheses inside a target kept balanced."""
    targets = []
    for match in re.finditer(r"\]\(", markdown):
        depth, start = 1, match.end()
        for end in range(start, len(markdown)):
            depth += {"(": 1, ")": -1}.get(markdown[end], 0)
            if depth == 0:
                targets.append(markdown[start:end])
                break
    return targets


def heading_anchor(line: str) -> str:
    """The anchor JupyterLab gives a markdown heading: its rendered text, spaces as hyphens."""
    text = line.lstrip("#").strip()
    text = re.sub(r"[`*$]", "", text)  # code, emphasis and math marks are not rendered text
    return text.replace(" ", "-")


def _anchors(notebook: Path) -> set[str]:
    cells = nbformat.read(notebook, as_version=4).cells
    return {
        heading_anchor(line)
        for cell in cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if re.match(r"#{1,6} ", line)
    }


LINKS = [t for t in _link_targets(MAP.read_text()) if ".ipynb" in t]


def test_the_map_links_chapters() -> None:
    assert len(LINKS) >= 30


@pytest.mark.parametrize("target", LINKS)
def test_each_link_names_a_chapter_and_one_of_its_sections(target: str) -> None:
    path, _, anchor = target.partition("#")
    notebook = (MAP.parent / path).resolve()
    assert notebook.is_file(), f"{path}: no such chapter"
    assert anchor in _anchors(notebook), f"{notebook.name} has no section #{anchor}"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("### `None` or zeros?", "None-or-zeros?"),
        ('## 7. "My predictions differ"', '7.-"My-predictions-differ"'),
        ("### One batch: `next(iter(loader))`", "One-batch:-next(iter(loader))"),
    ],
)
def test_heading_anchor(heading: str, anchor: str) -> None:
    assert heading_anchor(heading) == anchor


def test_links_may_hold_parentheses() -> None:
    assert _link_targets("[a](x.ipynb#f(g(h))) and [b](y)") == ["x.ipynb#f(g(h))", "y"]


@pytest.mark.skipif(not COURSE_PLAN.is_file(), reason="COURSE_PLAN.md is not beside the repo")
def test_every_outdated_call_of_the_course_plan_has_a_row() -> None:
    plan = COURSE_PLAN.read_text()
    listed = plan[plan.index("Outdated API") :].split("\n\n")[0]
    calls = re.findall(r"`([^`]+)`", listed)
    assert len(calls) >= 9
    text = MAP.read_text()
    names = [part.split("(")[0].rstrip(".") for call in calls for part in call.split("/")]
    missing = [name for name in names if name not in text]
    assert not missing, f"outdated calls with no row in docs/OPEN_QUESTIONS.md: {missing}"
