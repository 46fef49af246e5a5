"""What the book's decks (`make slides`) do with a cell's tags, beyond nbconvert's reveal template.

templates/course-slides/conf.json registers `OutputSubslide` ahead of nbconvert's own slide
preprocessor. A code cell whose code and outputs together are taller than a slide (1280x800)
carries the tag ``slides-output-subslide``: the deck shows its code, then its outputs on a
sub-slide of their own. The notebook a student opens keeps the cell as it is: one cell, same
code, same outputs (tags do not change them, so no re-execution is needed).
"""

from __future__ import annotations

import copy

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode

OUTPUT_SUBSLIDE = "slides-output-subslide"


class OutputSubslide(Preprocessor):
    """Shows each code cell tagged ``slides-output-subslide`` as two cells in the deck: its
    code without outputs, then a sub-slide with its outputs and no code."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            tagged = OUTPUT_SUBSLIDE in cell.metadata.get("tags", [])
            if cell.cell_type == "code" and tagged and cell.outputs:
                outputs = copy.deepcopy(cell)
                outputs.metadata.slideshow = {"slide_type": "subslide"}
                outputs.metadata.transient = {"remove_source": True}
                if "id" in outputs:
                    outputs.id = f"{cell.id}-outputs"  # the deck's anchors stay unique
                cell.outputs = []
                cells.append(outputs)
        nb.cells = cells
        return nb, resources
