"""The reveal.js decks of `make slides`: offline, complete, and working in Chromium.

The file checks (no browser) read each deck's HTML: no external address for a script, stylesheet
or font (following the local stylesheets it loads), hidden solutions left out, speaker notes
kept as notes. The browser checks serve build/slides/ on 127.0.0.1, open every deck, step through
all its slides, and fail on any failed or external request, console error or uncaught exception.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from browser_support import ROOT, VIEWPORT, Watched, is_external, load_problems, page_parts

pytestmark = pytest.mark.browser

# One deck per chapter: its source, notebooks/src/NN_name.py, names it (notebooks/NN_name.ipynb).
NOTEBOOKS = sorted((ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py"))
CHAPTERS = [path.stem for path in NOTEBOOKS]
# Screenshots (title slide, first plot) of chapters 01, 02 and 07, or the last chapter without 07.
SHOWCASE = [name for name in CHAPTERS if name[:2] in ("01", "02", "07")]
if not any(name.startswith("07") for name in SHOWCASE):
    SHOWCASE += CHAPTERS[-1:]


def _deck(decks: Path, chapter: str) -> Path:
    return decks / f"{chapter}.slides.html"


def _notebook(chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)


def _slide_type(cell: nbformat.NotebookNode) -> str:
    return cell.metadata.get("slideshow", {}).get("slide_type", "")


# --------------------------------------------------------------------------- reading the HTML


_JS_IMPORT = re.compile(r"""\bimport\b[^'";]*?['"]((?:https?:)?//[^'"]+)['"]""")
_JS_REQUIRE = re.compile(r"""\brequire\s*\(\s*\[([^\]]*)\]""")


def _external_references(deck: Path) -> list[str]:
    """External addresses a deck would load, following its local stylesheets; missing files too."""
    parsed = page_parts(deck)
    problems: list[str] = []
    for js in parsed.inline_js:
        problems += [f"script import {address}" for address in _JS_IMPORT.findall(js)]
        for modules in _JS_REQUIRE.findall(js):
            problems += [
                f"require {m}" for m in re.findall(r"['\"]([^'\"]+)", modules) if is_external(m)
            ]
    return problems + load_problems(deck, parsed.loads, parsed.inline_css)


# --------------------------------------------------------------------------- the files


def test_make_slides_renders_a_deck_per_chapter(decks: Path) -> None:
    rendered = {path.name.removesuffix(".slides.html") for path in decks.glob("*.slides.html")}
    assert set(CHAPTERS) <= rendered


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_deck_names_no_external_script_stylesheet_or_font(decks: Path, chapter: str) -> None:
    assert _external_references(_deck(decks, chapter)) == []


def test_the_offline_check_catches_cdn_addresses(tmp_path: Path) -> None:
    """The check above must see each way a deck can name a CDN (nbconvert's defaults among them)."""
    (tmp_path / "theme.css").write_text("@import url(https://fonts.example.org/css?family=Lato);")
    (tmp_path / "local.css").write_text("@font-face { src: url(font.woff); }")
    (tmp_path / "font.woff").write_bytes(b"")
    deck = tmp_path / "deck.html"
    deck.write_text(
        '<script src="https://cdn.example.org/require.min.js"></script>'
        '<link rel="stylesheet" href="theme.css"><link rel="stylesheet" href="local.css">'
        "<script type=\"module\">import mermaid from 'https://cdn.example.org/mermaid.mjs';</script>"
        "<style>@font-face { src: url('//cdn.example.org/f.woff2'); }</style>"
        '<script>require(["https://unpkg.com/reveal.js@4.0.2/dist/reveal.js"], f);</script>'
        '<img src="data:image/png;base64,AAAA"><script src="lib/missing.js"></script>'
    )
    found = "\n".join(_external_references(deck))
    for expected in ("require.min.js", "fonts.example.org", "mermaid.mjs", "f.woff2", "unpkg.com"):
        assert expected in found
    assert "missing local file lib/missing.js" in found
    assert "font.woff" not in found and "data:" not in found


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_hidden_cells_stay_out_of_the_deck_and_the_others_are_in(decks: Path, chapter: str) -> None:
    """Cells with slide_type skip (the exercise solutions among them) are not in the deck; the
    code of every other cell is."""
    text = "".join(page_parts(_deck(decks, chapter)).text)
    cells = _notebook(chapter).cells
    shown = [c for c in cells if _slide_type(c) != "skip"]
    shown_text = "\n".join(c.source for c in shown)

    def distinctive(cell: nbformat.NotebookNode) -> list[str]:
        """Its lines that no shown cell contains (a solution may reuse a line of the chapter)."""
        lines = {line.strip() for line in cell.source.splitlines()}
        return [line for line in lines if len(line) >= 20 and line not in shown_text]

    hidden = [c for c in cells if _slide_type(c) == "skip"]
    assert any("solution" in c.metadata.get("tags", []) for c in hidden)
    leaked = [line for c in hidden for line in distinctive(c) if line in text]
    assert not leaked, f"hidden cells' code in the deck: {leaked}"
    code = [line.strip() for c in shown if c.cell_type == "code" for line in c.source.splitlines()]
    missing = [line for line in code if len(line) >= 20 and line not in text]
    assert not missing, f"code of shown cells missing from the deck: {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notes_cells_become_speaker_notes(decks: Path, chapter: str) -> None:
    notes = [c for c in _notebook(chapter).cells if _slide_type(c) == "notes"]
    html = _deck(decks, chapter).read_text(encoding="utf-8")
    assert html.count('<aside class="notes">') == len(notes)


@pytest.mark.parametrize("chapter", [name for name in CHAPTERS if name[:2] in ("00", "01", "02")])
def test_the_first_chapters_carry_speaker_notes(chapter: str) -> None:
    assert any(_slide_type(c) == "notes" for c in _notebook(chapter).cells)


# --------------------------------------------------------------------------- in Chromium

WAIT_FOR_MATHJAX = "() => new Promise(done => MathJax.Hub.Queue(() => done(true)))"

# Steps through the whole deck with Reveal.next() (fragments included) and reports what it saw.
WALK = """() => {
  Reveal.configure({transition: "none", backgroundTransition: "none"});
  Reveal.slide(0, 0, -1);
  const height = Reveal.getConfig().height, seen = new Set(), cutOff = [];
  for (let steps = 0; steps < 5000; steps++) {
    const slide = Reveal.getCurrentSlide(), at = Reveal.getIndices();
    const key = at.h + "/" + (at.v || 0);
    if (!seen.has(key)) {
      seen.add(key);
      const style = getComputedStyle(slide);
      if (slide.scrollHeight > height && !["auto", "scroll"].includes(style.overflowY))
        cutOff.push(key);
    }
    if (Reveal.isLastSlide() && !Reveal.availableFragments().next) break;
    Reveal.next();
  }
  return {
    total: Reveal.getTotalSlides(), visited: seen.size, last: Reveal.isLastSlide(), cutOff,
    titleHeading: !!Reveal.getSlide(0, 0).querySelector("h1"),
    notesShown: [...document.querySelectorAll("aside.notes")]
      .filter(a => getComputedStyle(a).display !== "none").length,
  };
}"""

# Formulas MathJax typeset, and those it could not.
MATH = """() => ({
  rendered: document.querySelectorAll(".MathJax_CHTML").length,
  errors: document.querySelectorAll(".mjx-merror, .MathJax_Error").length,
})"""

# The first slide holding a plot (an image in a cell's output), all its fragments shown.
SHOW_PLOT = """() => {
  const image = document.querySelector(".slides section .jp-OutputArea-output img");
  if (!image) return false;
  const slide = image.closest("section"), at = Reveal.getIndices(slide);
  Reveal.configure({transition: "none", backgroundTransition: "none"});  // settled at once
  Reveal.slide(at.h, at.v || 0);
  while (Reveal.nextFragment()) {}
  // A slide taller than the deck scrolls: bring the plot into view.
  const below = image.getBoundingClientRect().bottom - slide.getBoundingClientRect().bottom;
  if (below > 0) slide.scrollTop += below / Reveal.getScale() + 20;
  return true;
}"""


def _open(watched: Watched, url: str) -> None:
    watched.page.goto(url)
    watched.page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
    watched.page.evaluate(WAIT_FOR_MATHJAX)


def _has_math(chapter: str) -> bool:
    markdown = [c.source for c in _notebook(chapter).cells if c.cell_type == "markdown"]
    return any(re.search(r"\$[^$\s][^$]*\$", source) for source in markdown)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_deck_works_in_chromium(
    deck_server: str, watched_page: Watched, screenshots: Path, chapter: str
) -> None:
    page = watched_page.page
    url = f"{deck_server}/{chapter}.slides.html"
    _open(watched_page, url)
    math = page.evaluate(MATH)
    assert math["errors"] == 0
    if _has_math(chapter):
        assert math["rendered"] > 0, "MathJax rendered no formula"

    walk = page.evaluate(WALK)
    page.evaluate(WAIT_FOR_MATHJAX)
    assert walk["visited"] == walk["total"] > 1 and walk["last"], walk
    assert walk["titleHeading"], "the first slide is the chapter's title (an h1)"
    assert walk["cutOff"] == [], "slides taller than the deck that do not scroll"
    assert walk["notesShown"] == 0, "speaker notes must not show on the slides"

    shown = Watched(page.context.new_page()) if chapter in SHOWCASE else None
    if shown:  # in a fresh page: the walk outran the deck's re-rendering of formulas
        _open(shown, url)
        shown.page.screenshot(path=screenshots / f"{chapter}_title.png")
        if shown.page.evaluate(SHOW_PLOT):
            shown.page.evaluate(WAIT_FOR_MATHJAX)
            shown.page.wait_for_timeout(300)  # the slide's own layout pass after the jump
            shown.page.screenshot(path=screenshots / f"{chapter}_plot.png")
        assert shown.problems == []
    assert watched_page.problems == []


def test_a_deck_opened_as_a_file_works(decks: Path, watched_page: Watched) -> None:
    """Relative paths: the same deck, opened straight from the disk."""
    _open(watched_page, _deck(decks, CHAPTERS[-1]).as_uri())
    assert watched_page.page.evaluate("() => Reveal.getTotalSlides()") > 1
    assert watched_page.problems == []


def test_the_speaker_view_shows_the_notes(
    deck_server: str, watched_page: Watched, screenshots: Path
) -> None:
    """S opens reveal.js's speaker view: this slide, the next, a clock and the notes."""
    chapter = next(c for c in CHAPTERS if c.startswith("00"))
    first_note = next(c.source for c in _notebook(chapter).cells if _slide_type(c) == "notes")
    _open(watched_page, f"{deck_server}/{chapter}.slides.html")
    page = watched_page.page
    with page.expect_popup() as popup:
        page.keyboard.press("s")
    speaker = Watched(popup.value)
    notes = speaker.page.locator(".speaker-controls-notes .value")
    speaker.page.wait_for_function(
        "() => document.querySelector('.speaker-controls-notes .value')?.textContent.trim()"
    )
    assert first_note.split("`")[0].strip() in " ".join(notes.text_content().split())
    speaker.page.set_viewport_size(VIEWPORT)
    speaker.page.wait_for_timeout(300)
    speaker.page.screenshot(path=screenshots / f"{chapter}_speaker_view.png")
    assert watched_page.problems == speaker.problems == []
