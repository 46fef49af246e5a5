"""The book's static site, `make html` (build/html): complete, offline, and working in Chromium.

The file checks (no browser) read the built pages: every chapter, the glossary, the results and
the map of open questions are there; no page names an external address for a script,
stylesheet or font (following the local stylesheets it loads); every link inside the site
reaches a file, and a section of it where it names one. The browser checks serve build/html on
127.0.0.1 and open it as files: every chapter is reachable from the home page, its formulas and
figures render, its exercise solutions stay collapsed, the search finds chapter 02, and nothing
fails: no failed or external request, console error or uncaught exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from browser_support import ROOT, Watched, is_external, load_problems, make, page_parts, served

pytestmark = pytest.mark.browser

SITE = ROOT / "build" / "html"
CHAPTERS = [path.stem for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
PAGES = ["docs/GLOSSARY", "docs/OPEN_QUESTIONS"] + [
    f"results/{path.stem}" for path in sorted((ROOT / "results").glob("*.md"))
]
SHOWCASE = next(name for name in CHAPTERS if name.startswith("02"))  # a formula and a figure


@pytest.fixture(scope="session")
def site() -> Path:
    """The whole site, built by `make html` (the real target: decks and MathJax included)."""
    make("html", needs_npm="MathJax and the decks")
    return SITE


@pytest.fixture(scope="session")
def site_server(site: Path) -> Iterator[str]:
    """build/html served on a free loopback port; yields the base URL."""
    with served(site) as url:
        yield url


def _notebook(chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)


def _solutions(chapter: str) -> int:
    return sum("solution" in cell.metadata.get("tags", []) for cell in _notebook(chapter).cells)


# --------------------------------------------------------------------------- reading the HTML


_JS_LOAD = re.compile(
    r"""(?:\bimport\b[^'";]*?|\bimportScripts\s*\(\s*)['"]((?:https?:)?//[^'"]+)['"]"""
)


def _external_references(page: Path) -> list[str]:
    """External addresses a page would load as a script, stylesheet or font (the stylesheets'
    own @import and url() followed), and local files it loads that are missing."""
    parsed = page_parts(page)
    problems = [
        f"{page.name}: script loads {address}"
        for js in parsed.inline_js
        for address in _JS_LOAD.findall(js)
    ]
    return problems + load_problems(page, parsed.loads, parsed.inline_css)


def _site_pages(site: Path) -> list[Path]:
    """The site's own pages (the decks under slides/ are test_slides.py's; _static holds the
    theme's template fragments, no pages)."""
    pages = site.rglob("*.html")
    return sorted(p for p in pages if p.relative_to(site).parts[0] not in ("slides", "_static"))


def _broken_links(page: Path, site: Path) -> list[str]:
    """Links of ``page`` inside the site that reach no file, or no element with their #id."""
    broken = []
    for href in page_parts(page).links:
        if is_external(href) or href.startswith(("mailto:", "javascript:")):
            continue
        parts = urlsplit(href)
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if not target.is_relative_to(site) or not target.is_file():
            broken.append(f"{href}: no such file")
        elif parts.fragment and unquote(parts.fragment) not in page_parts(target).ids:
            broken.append(f"{href}: no #{unquote(parts.fragment)} in {target.name}")
    return broken


# --------------------------------------------------------------------------- the files


def test_make_html_renders_every_chapter_and_page(site: Path) -> None:
    for chapter in CHAPTERS:
        assert (site / "notebooks" / f"{chapter}.html").is_file()
        download = site / "notebooks" / f"{chapter}.ipynb"  # the committed notebook, as it is
        assert download.read_bytes() == (ROOT / "notebooks" / f"{chapter}.ipynb").read_bytes()
        assert (site / "slides" / f"{chapter}.slides.html").is_file()
    for page in ["index", "search", *PAGES]:
        assert (site / f"{page}.html").is_file(), page


def test_no_page_names_an_external_script_stylesheet_or_font(site: Path) -> None:
    problems = [problem for page in _site_pages(site) for problem in _external_references(page)]
    assert problems == []


def test_the_offline_check_catches_cdn_addresses(tmp_path: Path) -> None:
    """The check above must see each way a page can name a CDN (Sphinx's MathJax default too)."""
    (tmp_path / "theme.css").write_text("@import url(https://fonts.example.org/css?family=Lato);")
    (tmp_path / "local.css").write_text("@font-face { src: url(font.woff); }")
    (tmp_path / "font.woff").write_bytes(b"")
    page = tmp_path / "page.html"
    page.write_text(
        '<script defer src="https://cdn.jsdelivr.net/npm/mathjax@4/tex-mml-chtml.js"></script>'
        '<link rel="stylesheet" href="theme.css"><link rel="stylesheet" href="local.css">'
        '<link rel="preload" as="font" href="//cdn.example.org/f.woff2">'
        '<link rel="canonical" href="https://example.org/book/">'
        "<script type=\"module\">import m from 'https://cdn.example.org/mermaid.mjs';</script>"
        "<div style=\"background: url('https://cdn.example.org/bg.png')\"></div>"
        '<script src="_static/missing.js"></script><a href="https://pytorch.org">docs</a>'
    )
    found = "\n".join(_external_references(page))
    for expected in ("mathjax@4", "fonts.example.org", "f.woff2", "mermaid.mjs", "bg.png"):
        assert expected in found
    assert "missing local file _static/missing.js" in found
    assert "font.woff" not in found and "example.org/book" not in found
    assert "pytorch.org" not in found  # a link to read elsewhere is no load


def test_every_link_inside_the_site_resolves(site: Path) -> None:
    broken = {
        page.relative_to(site).as_posix(): links
        for page in _site_pages(site)
        if (links := _broken_links(page, site))
    }
    assert broken == {}


def test_the_broken_link_check_sees_missing_files_and_sections(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text('<h2 id="here">x</h2>')
    page = tmp_path / "index.html"
    page.write_text(
        '<a href="a.html#here">ok</a><a href="#top">top</a><a href="a.html#gone">no</a>'
        '<a href="b.html">no</a><a href="https://example.org">elsewhere</a><p id="top"></p>'
    )
    assert _broken_links(page, tmp_path) == [
        "a.html#gone: no #gone in a.html",
        "b.html: no such file",
    ]


def test_the_open_questions_link_their_chapter_sections(site: Path) -> None:
    """Each ../notebooks/NN_name.ipynb#Section link of docs/OPEN_QUESTIONS.md is a link to the
    chapter's page and to that section (the check above says each such id exists)."""
    source = (ROOT / "docs" / "OPEN_QUESTIONS.md").read_text(encoding="utf-8")
    expected = len(re.findall(r"\]\(\.\./notebooks/[^)#]+\.ipynb#", source))
    links = page_parts(site / "docs" / "OPEN_QUESTIONS.html").links
    sections = [link for link in links if re.match(r"\.\./notebooks/\d\d_\w+\.html#.", link)]
    assert expected >= 30 and len(sections) == expected
    assert not [link for link in links if ".ipynb" in link]


# --------------------------------------------------------------------------- in Chromium

# True once MathJax (loaded async, on pages with formulas) has typeset the page: its startup
# posts the signal "End" after the first typesetting.
MATHJAX_DONE = """() => !document.querySelector(".math") || (window.MathJax && MathJax.Hub
  && MathJax.Hub.Startup.signal.posted.some(message => message === "End"))"""

# What a chapter page shows: formulas typeset or failed, figures drawn or broken, solutions.
PAGE_STATE = """() => ({
  math: document.querySelectorAll(".math").length,
  typeset: document.querySelectorAll(".MathJax_CHTML").length,
  mathErrors: document.querySelectorAll(".mjx-merror, .MathJax_Error").length,
  figures: document.querySelectorAll(".cell_output img").length,
  brokenFigures: [...document.querySelectorAll("img")]
    .filter(img => !img.complete || img.naturalWidth === 0).map(img => img.src),
  solutions: [...document.querySelectorAll(".cell.tag_solution")].map(cell => ({
    closed: !!cell.querySelector("details:not([open])"),
    codeShown: [...cell.querySelectorAll("pre")].some(pre => pre.checkVisibility()),
  })),
})"""


def _open(watched: Watched, url: str) -> None:
    watched.page.goto(url)
    watched.page.wait_for_function(MATHJAX_DONE, timeout=30_000)


def _chapter_links(watched: Watched) -> list[str]:
    """The chapter pages the home page's chapter table links, as absolute URLs."""
    return watched.page.evaluate(
        """() => [...new Set([...document.querySelectorAll("#the-chapters table a")]
            .map(a => a.href).filter(href => /\\/notebooks\\/\\d\\d_\\w+\\.html$/.test(href)))]"""
    )


def _check_chapter(watched: Watched, chapter: str) -> dict:
    state = watched.page.evaluate(PAGE_STATE)
    assert state["mathErrors"] == 0 and state["brokenFigures"] == [], state
    if state["math"]:
        assert state["typeset"] >= state["math"], "MathJax left formulas untypeset"
    assert len(state["solutions"]) == _solutions(chapter) > 0
    assert all(s["closed"] and not s["codeShown"] for s in state["solutions"]), state["solutions"]
    return state


def test_every_chapter_is_reachable_from_the_home_page(
    site_server: str, watched_page: Watched, screenshots: Path
) -> None:
    """Served on 127.0.0.1: the home page's table links every chapter, and each chapter page
    typesets its formulas, draws its figures and keeps its solutions collapsed."""
    _open(watched_page, f"{site_server}/index.html")
    watched_page.page.screenshot(path=screenshots / "html_home.png")
    links = _chapter_links(watched_page)
    assert [link.rsplit("/", 1)[1].removesuffix(".html") for link in links] == CHAPTERS
    seen = {}
    for chapter, link in zip(CHAPTERS, links, strict=True):
        _open(watched_page, link)
        seen[chapter] = _check_chapter(watched_page, chapter)
    assert seen[SHOWCASE]["typeset"] > 0 and seen[SHOWCASE]["figures"] > 0
    assert watched_page.problems == []


def test_a_formula_and_a_figure_render(
    site_server: str, watched_page: Watched, screenshots: Path
) -> None:
    page = watched_page.page
    _open(watched_page, f"{site_server}/notebooks/{SHOWCASE}.html")
    formula = page.locator("div.math .MathJax_CHTML").first
    formula.scroll_into_view_if_needed()
    box = formula.bounding_box()
    assert box and box["width"] > 20 and box["height"] > 10  # typeset, not raw TeX
    assert "\\frac" not in formula.inner_text()
    page.screenshot(path=screenshots / "html_formula.png")
    figure = page.locator(".cell_output img").first
    figure.scroll_into_view_if_needed()
    assert figure.evaluate("img => img.naturalWidth") > 100
    page.screenshot(path=screenshots / "html_figure.png")
    assert watched_page.problems == []


@pytest.mark.parametrize("how", ["served", "file"])
def test_search_finds_chapter_02(
    site_server: str, site: Path, watched_page: Watched, screenshots: Path, how: str
) -> None:
    """Sphinx's own search, offline: over http, and over file:// (titles only, no summaries)."""
    base = site_server if how == "served" else site.as_uri()
    page = watched_page.page
    page.goto(f"{base}/search.html?q=autograd")
    page.wait_for_function(
        "() => /found \\d+ page/.test(document.querySelector('#search-results')?.textContent)"
    )
    found = page.evaluate("() => [...document.querySelectorAll('ul.search li a')].map(a => a.href)")
    assert any(re.search(rf"/notebooks/{SHOWCASE}\.html", href) for href in found), found
    if how == "served":  # the summaries come with each result
        page.wait_for_selector("ul.search li p.context")
    page.screenshot(path=screenshots / f"html_search_{how}.png")
    assert watched_page.problems == []


def test_the_site_opened_as_files_works(site: Path, watched_page: Watched) -> None:
    """Relative paths throughout: from the home page on disk to a chapter, then to its deck."""
    page = watched_page.page
    _open(watched_page, (site / "index.html").as_uri())
    assert [link.rsplit("/", 1)[1] for link in _chapter_links(watched_page)] == [
        f"{chapter}.html" for chapter in CHAPTERS
    ]
    with page.expect_navigation():
        page.locator(f'#the-chapters a[href="notebooks/{SHOWCASE}.html"]').first.click()
    page.wait_for_function(MATHJAX_DONE, timeout=30_000)
    _check_chapter(watched_page, SHOWCASE)
    notebook = page.locator("p.course-links a.course-notebook")
    assert notebook.get_attribute("download") == f"{SHOWCASE}.ipynb"
    with page.expect_navigation():
        page.locator("p.course-links a.course-deck").click()
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
    assert urlsplit(page.url).path.endswith(f"/slides/{SHOWCASE}.slides.html")
    assert watched_page.problems == []
