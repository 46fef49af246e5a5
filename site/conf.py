"""Sphinx configuration of the book's offline site: `make html` (site/course_site.py) stages the
sources and runs Sphinx with this folder as its configuration directory."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # course_site, for the slug function

project = "PyTorch, from tensors to GANs"
html_title = "PyTorch, from tensors to GANs"
root_doc = "index"
extensions = ["myst_nb"]
language = "en"

# The committed outputs, as they are: nothing is executed.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath"]
# Anchors as JupyterLab makes them, for links like ../notebooks/02_autograd.ipynb#Some-Heading.
myst_heading_anchors = 6
myst_heading_slug_func = "course_site.heading_anchor"

# MathJax 2.7.7 from npm (package.json), copied into _static/mathjax by course_site.py: no CDN.
# MathJax typesets only the formulas Sphinx marks (class "math"), never code or outputs.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
myst_update_mathjax = False  # it would write a MathJax 3/4 configuration
mathjax2_config = {
    "tex2jax": {"ignoreClass": "bd-page-width", "processClass": "math"},
    "CommonHTML": {"linebreaks": {"automatic": True}},
}

html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "use_download_button": False,  # each chapter links its own notebook
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "footer_content_items": [],  # no author line
}
html_static_path = ["_static"]
html_js_files = ["course.js"]
html_css_files = ["course.css"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
# The light theme unless the reader picks another (the figures have white backgrounds); without
# a default the theme logs a console error on every page.
html_context = {"default_mode": "light"}
# A page without an icon makes the browser ask for /favicon.ico, which a served site lacks.
html_favicon = "_static/favicon.svg"
