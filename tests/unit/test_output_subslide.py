"""Unit tests of course_utils.slides: the deck-only split of a tagged cell's outputs, on its own
and through the book's template (templates/course-slides), with no browser."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils.slides import OUTPUT_CAPTION, OUTPUT_SUBSLIDE, OutputSubslide, output_caption

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _cell(source: str, text: str, tags: list[str], slide_type: str = "-") -> nbformat.NotebookNode:
    cell = new_code_cell(source, outputs=[new_output("stream", name="stdout", text=text)])
    cell.metadata.slideshow = {"slide_type": slide_type}
    cell.metadata.tags = tags
    return cell


def _notebook() -> nbformat.NotebookNode:
    title = new_markdown_cell("# A title")
    title.metadata.slideshow = {"slide_type": "slide"}
    return new_notebook(
        cells=[
            title,
            _cell("print('tall')", "TALL OUTPUT\n", [OUTPUT_SUBSLIDE, "nbval-check-output"]),
            _cell("print('short')", "SHORT OUTPUT\n", []),
            _cell("x = 1", "", [OUTPUT_SUBSLIDE]),
        ]
    )


def test_a_tagged_cell_becomes_its_code_then_a_captioned_subslide_of_its_outputs() -> None:
    notebook = _notebook()
    notebook.cells[3].outputs = []  # tagged, but nothing to move
    original = copy.deepcopy(notebook)
    split, _ = OutputSubslide().preprocess(notebook, {})
    code, caption, outputs = split.cells[1:4]
    assert len(split.cells) == len(original.cells) + 2
    assert code.source == outputs.source == original.cells[1].source
    assert code.outputs == [] and code.metadata.slideshow == {"slide_type": "-"}
    assert caption.cell_type == "markdown" and caption.source == "*A title: the output*"
    assert caption.metadata.slideshow == {"slide_type": "subslide"}
    assert caption.metadata.tags == [OUTPUT_CAPTION]
    assert outputs.outputs == original.cells[1].outputs
    assert outputs.metadata.slideshow == {"slide_type": "-"}
    assert outputs.metadata.transient == {"remove_source": True}
    assert len({cell.id for cell in split.cells}) == len(split.cells)
    assert split.cells[4:] == original.cells[2:]  # untagged, or tagged without outputs: as is


def test_the_caption_names_the_latest_heading_above_the_cell() -> None:
    assert output_caption("Per-class accuracy") == "*Per-class accuracy: the output*"
    assert output_caption(None) == "*The output of the cell before*"
    notebook = _notebook()
    notebook.cells[0].source = "# A title\n\n## Section 2\n\nProse."
    notebook.cells.insert(1, new_markdown_cell("Prose without a heading."))
    split, _ = OutputSubslide().preprocess(notebook, {})
    assert split.cells[3].source == "*Section 2: the output*"
    untitled = new_notebook(cells=[_cell("print(1)", "1\n", [OUTPUT_SUBSLIDE])])
    split, _ = OutputSubslide().preprocess(untitled, {})
    assert split.cells[1].source == "*The output of the cell before*"


def test_the_books_template_shows_the_outputs_on_the_next_subslide() -> None:
    """`make slides`' template: the tagged cell's code on the title's slide, its output alone on
    the next sub-slide, the untagged cell's output after it; the notebook itself unchanged."""
    notebook = _notebook()
    before = copy.deepcopy(notebook)
    exporter = SlidesExporter(
        template_name="course-slides", extra_template_basedirs=[str(TEMPLATES)]
    )
    html, _ = exporter.from_notebook_node(notebook)
    assert notebook == before
    slides = html[html.index('<div class="reveal">') :]
    sections = re.split(r"<section\b", slides)[1:]
    first = next(s for s in sections if "A title" in s)
    second = sections[sections.index(first) + 1]
    assert "print" in first and "TALL OUTPUT" not in first
    assert "TALL OUTPUT" in second and "SHORT OUTPUT" in second
    assert "print" in second.split("TALL OUTPUT")[1] and "print" not in second.split("TALL")[0]
    assert slides.count("TALL OUTPUT") == 1 and slides.count("tall") == 1
