"""Every slide of every deck fits the deck's 1280x800: nothing runs off the bottom of the screen.

Chromium opens each deck of `make slides` at 1280x800, steps through it with Reveal.next(), every
fragment shown, and measures each slide (the section of a `slide` or `subslide` cell) once MathJax
and the images have settled. reveal.js lays a slide out at the configured size (800 px high), then
scales the whole deck to the window, so the measure is the section's layout height, its
`scrollHeight` (content plus reveal's 20 px padding, untouched by the scaling transform), against
the configured height. With `center` on (reveal's default, and the book's) a shorter slide is
centred and a taller one is pinned to the top with its bottom cut off; with `center` off a slide
starts at the top: either way it fits when its `scrollHeight` is at most the configured height.
Hidden fragments keep their place in the layout, and the tallest step of a slide is measured.

A slide more than `TOLERANCE` taller than the deck fails its chapter's test, which lists each such
slide with its title and its height as a multiple of the deck's. The counts (slides, slides too
tall, per chapter and over all decks) and the list are printed at the end of the run.
"""

from __future__ import annotations

import pytest
from browser_support import ROOT, SLIDE_FITS, VIEWPORT, SlideFit, Watched

pytestmark = pytest.mark.browser

CHAPTERS = [path.stem for path in sorted((ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py"))]
# Rounding of fonts and sub-pixel layout: a slide up to 3 % taller than the deck still passes.
TOLERANCE = 0.03

# Walks the deck; for each slide (h/v indices) its tallest scrollHeight over its fragment steps,
# and its heading (or, without one, its section's heading and its own first words).
MEASURE = """async () => {
  const settled = () => new Promise(done =>
    MathJax.Hub.Queue(() => requestAnimationFrame(() => requestAnimationFrame(done))));
  await Promise.all([...document.images].map(image => image.decode().catch(() => null)));
  Reveal.configure({transition: "none", backgroundTransition: "none"});
  Reveal.slide(0, 0, -1);
  const words = element => (element ? element.textContent : "")
    .replace(/\\u00b6/g, "").replace(/\\s+/g, " ").trim();
  const heading = slide => words(slide.querySelector("h1, h2, h3, h4"));
  const title = slide => {
    const own = heading(slide);
    if (own) return own;
    const stack = slide.parentElement.closest("section");
    const section = stack ? heading(stack) : "";
    const start = words(slide).slice(0, 50);
    return (section ? section + " / " : "") + "\\u201c" + start + "\\u2026\\u201d";
  };
  const height = Reveal.getConfig().height;
  const slides = new Map();
  for (let steps = 0; steps < 5000; steps++) {
    await settled();
    const slide = Reveal.getCurrentSlide(), at = Reveal.getIndices();
    const key = at.h + "/" + (at.v || 0);
    const seen = slides.get(key) || {key, title: title(slide), height: 0};
    seen.height = Math.max(seen.height, slide.scrollHeight);
    slides.set(key, seen);
    if (Reveal.isLastSlide() && !Reveal.availableFragments().next) break;
    Reveal.next();
  }
  return {height, total: Reveal.getTotalSlides(), slides: [...slides.values()]};
}"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_slide_fits_the_deck(
    deck_server: str, watched_page: Watched, request: pytest.FixtureRequest, chapter: str
) -> None:
    page = watched_page.page
    page.goto(f"{deck_server}/{chapter}.slides.html")
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
    measured = page.evaluate(MEASURE)
    assert measured["height"] == VIEWPORT["height"], "the decks are made for 1280x800"
    assert len(measured["slides"]) == measured["total"] > 1, "the walk missed slides"
    height = measured["height"]
    too_tall = [
        f"{chapter} slide {slide['key']} {slide['title']!r}: {slide['height'] / height:.2f}x"
        for slide in measured["slides"]
        if slide["height"] > height * (1 + TOLERANCE)
    ]
    fit = SlideFit(chapter, measured["total"], too_tall)
    request.config.stash.setdefault(SLIDE_FITS, {})[chapter] = fit
    assert not too_tall, (
        f"{len(too_tall)} of {measured['total']} slides taller than the deck's {height} px "
        "(split them into sub-slides: docs/CHAPTER_CONVENTIONS.md, Cells):\n" + "\n".join(too_tall)
    )
