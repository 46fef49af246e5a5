"""Browser tests: the reveal.js decks of `make slides` and a smoke test of `make lab`.

They drive Debian's Chromium (``/usr/bin/chromium``, or ``COURSE_CHROMIUM``) with Playwright for
Python, never a browser that Playwright downloads. Without that Chromium they skip, with one line
that names it (`make browser` installs it, as root, where apt-get exists; `make test` runs that).
Screenshots land in build/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LAB_TIMES,
    SCREENSHOTS,
    SLIDE_FITS,
    SLIDES,
    VIEWPORT,
    Watched,
    make,
    served,
    slide_fit_table,
)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole run."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            f"browser tests skipped: no Chromium at {CHROMIUM} "
            "(`make browser` installs Debian's chromium, as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def decks() -> Path:
    """Every chapter's deck, rendered by `make slides` (the real target) into build/slides/."""
    make("slides", needs_npm="the decks' scripts")
    return SLIDES


@pytest.fixture(scope="session")
def deck_server(decks: Path) -> Iterator[str]:
    """build/slides/ served on a free loopback port; yields the base URL."""
    with served(decks) as url:
        yield url


@pytest.fixture
def watched_page(browser: object) -> Iterator[Watched]:
    context = browser.new_context(viewport=VIEWPORT)
    watched = Watched(context.new_page())
    yield watched
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """What test_slides_fit.py measured, when it ran: slides, and slides taller than the deck;
    and what test_lab.py timed: `make lab` to a running server, then to chapter 00 open in
    Chromium with the book's kernel ready."""
    times = config.stash.get(LAB_TIMES, {})
    if times:
        terminalreporter.section("first contact: make lab (seconds)")
        for step, seconds in times.items():
            terminalreporter.write_line(f"{step:<60} {seconds:6.1f}")
    fits = config.stash.get(SLIDE_FITS, {})
    if fits:
        terminalreporter.section("slides taller than the deck (1280x800)")
        for line in slide_fit_table(fits):
            terminalreporter.write_line(line)
        for fit in sorted(fits.values(), key=lambda fit: fit.chapter):
            for slide in fit.too_tall:
                terminalreporter.write_line(f"  {slide}")
