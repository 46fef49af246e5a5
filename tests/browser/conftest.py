"""Browser tests: the reveal.js decks of `make slides` and a smoke test of `make lab`.

They drive Debian's Chromium (``/usr/bin/chromium``, or ``COURSE_CHROMIUM``) with Playwright for
Python, never a browser that Playwright downloads. Without that Chromium they skip, with one line
that names it (`make browser` installs it, as root, where apt-get exists; `make test` runs that).
Screenshots land in build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, ROOT, SCREENSHOTS, SLIDES, VIEWPORT, Watched


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
    if not (ROOT / "node_modules").is_dir() and shutil.which("npm") is None:
        pytest.skip("slide tests skipped: npm not found (the decks' scripts come from npm)")
    done = subprocess.run(
        ["make", "--no-print-directory", "slides"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"`make slides` failed:\n{done.stdout}\n{done.stderr}"
    return SLIDES


@pytest.fixture(scope="session")
def deck_server(decks: Path) -> Iterator[str]:
    """build/slides/ served on a free loopback port; yields the base URL."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(decks))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


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
