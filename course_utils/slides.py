"""What the book's decks (`make slides`) do with a cell's tags, beyond nbconvert's reveal template.

templates/course-slides/conf.json registers `OutputSubslide` ahead of nbconvert's own slide
preprocessor. A code cell whose code and outputs together are taller than a slide (1280x800)
carries the tag ``slides-output-subslide``: the deck shows its code, then its outputs on a
sub-slide of their own, under a caption that names the section they belong to. The notebook a
student opens keeps the cell as it is: one cell, same code, same outputs (tags do not change
them, so no re-execution is needed).
"""

from __future__ import annotations

import copy
import re

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell

__all__ = ["OUTPUT_CAPTION", "OUTPUT_SUBSLIDE", "OutputSubslide", "output_caption"]

OUTPUT_SUBSLIDE = "slides-output-subslide"
# The caption's tag: the template sets it small (its cell's CSS class is celltag_<tag>).
OUTPUT_CAPTION = "slides-output-caption"


def output_caption(heading: str | None) -> str:
    """The line above a cell's outputs on their own sub-slide: the section's heading, if any."""
    return f"*{heading}: the output*" if heading else "*The output of the cell before*"


class OutputSubslide(Preprocessor):
    """Shows each code cell tagged ``slides-output-subslide`` as three cells in the deck: its
    code without outputs, then a sub-slide with a caption (the latest heading above the cell)
    and its outputs without code."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        cells = []
        heading = None
        for cell in nb.cells:
            cells.append(cell)
            if cell.cell_type == "markdown":
                found = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", cell.source, flags=re.MULTILINE)
                heading = found[-1] if found else heading
            tagged = OUTPUT_SUBSLIDE in cell.metadata.get("tags", [])
            if cell.cell_type == "code" and tagged and cell.outputs:
                caption = new_markdown_cell(output_caption(heading))
                caption.metadata.slideshow = {"slide_type": "subslide"}
                caption.metadata.tags = [OUTPUT_CAPTION]
                outputs = copy.deepcopy(cell)
                outputs.metadata.slideshow = {"slide_type": "-"}
                outputs.metadata.transient = {"remove_source": True}
                if "id" in outputs:  # the deck's anchors stay unique
                    caption.id, outputs.id = f"{cell.id}-caption", f"{cell.id}-outputs"
                cell.outputs = []
                cells += [caption, outputs]
        nb.cells = cells
        return nb, resources
