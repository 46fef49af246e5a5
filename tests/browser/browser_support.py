"""What the browser tests share: paths, the Chromium they drive, and a watched page."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from pytest import StashKey

ROOT = Path(__file__).resolve().parents[2]
SLIDES = ROOT / "build" / "slides"
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
# Headless, and quiet: no first-run pages, no background connections to the outside world.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}


class Watched:
    """A page plus everything that went wrong on it: failed requests, HTTP errors, console
    errors, uncaught exceptions, and any request that left this machine."""

    def __init__(self, page: object) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on("response", self._response)
        page.on("request", self._request)
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))

    def _response(self, response: object) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _request(self, request: object) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname != "127.0.0.1":
            self.problems.append(f"external request: {request.url}")

    def _console(self, message: object) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")


@dataclass(frozen=True)
class SlideFit:
    """One deck's measure by test_slides_fit.py: its slides, and those taller than the deck."""

    chapter: str
    total: int
    too_tall: list[str]


# Where test_slides_fit.py leaves each deck's measure, for the summary at the end of the run.
SLIDE_FITS = StashKey[dict[str, SlideFit]]()
# Where test_lab.py leaves its timings of a student's first contact, in seconds, by step.
LAB_TIMES = StashKey[dict[str, float]]()


def slide_fit_table(fits: dict[str, SlideFit]) -> list[str]:
    """Slides and slides too tall, per chapter and over all the decks measured."""
    lines = [f"{'chapter':<36} {'slides':>6} {'too tall':>8}"]
    for fit in sorted(fits.values(), key=lambda fit: fit.chapter):
        lines.append(f"{fit.chapter:<36} {fit.total:>6} {len(fit.too_tall):>8}")
    total = sum(fit.total for fit in fits.values())
    too_tall = sum(len(fit.too_tall) for fit in fits.values())
    lines.append(f"{'all decks':<36} {total:>6} {too_tall:>8}")
    return lines


def make(target: str, needs_npm: str) -> None:
    """Run `make <target>` (the real target, as a student runs it); skip, saying so, without npm,
    which ``needs_npm`` names what for."""
    if not (ROOT / "node_modules").is_dir() and shutil.which("npm") is None:
        pytest.skip(f"npm not found: {needs_npm} come from npm")
    done = subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"`make {target}` failed:\n{done.stdout}\n{done.stderr}"


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """``folder`` served on a free loopback port, quietly; yields the base URL."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- offline pages

# <link rel=...> values that only point somewhere (nothing is loaded from them).
NAVIGATION_RELS = {"canonical", "alternate", "next", "prev", "index", "search", "author", "help"}
# Elements whose src the browser loads.
LOADING_TAGS = ("script", "img", "iframe", "source", "audio", "video", "embed")


class PageParts(HTMLParser):
    """What an HTML page loads (scripts, stylesheets, media, inline CSS and JS), its links, its
    ids and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.inline_css: list[str] = []
        self.inline_js: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if "id" in attr:
            self.ids.add(attr["id"])
        if tag in LOADING_TAGS and "src" in attr:
            self.loads.append(attr["src"])
        rels = set(attr.get("rel", "").lower().split())
        if tag == "link" and "href" in attr and not rels & NAVIGATION_RELS:
            self.loads.append(attr["href"])
        if tag == "a" and "href" in attr:
            self.links.append(attr["href"])
        if "style" in attr:
            self.inline_css.append(attr["style"])
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self.inline_css.append(data)
        elif self._in == "script":
            self.inline_js.append(data)
        else:
            self.text.append(data)


@functools.cache
def page_parts(path: Path) -> PageParts:
    """The parts of the HTML file ``path`` (read once per run)."""
    parser = PageParts()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


_CSS_URL = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'")\s;]+)|url\(\s*['"]?([^'")]+)""")


def is_external(address: str) -> bool:
    """An address on another machine: http(s), or protocol-relative (``//host/...``)."""
    return address.startswith("//") or urlsplit(address).scheme in ("http", "https")


def css_addresses(css: str) -> list[str]:
    """What a stylesheet loads: its ``@import`` and ``url()`` targets, data URIs left out."""
    found = [a or b for a, b in _CSS_URL.findall(css)]
    return [address for address in found if not address.startswith(("data:", "#"))]


def load_problems(page: Path, loads: list[str], inline_css: list[str]) -> list[str]:
    """External addresses among what ``page`` loads (``loads``: its scripts, stylesheets, fonts,
    media; and what its inline CSS names), following its local stylesheets' own ``@import`` and
    ``url()``; and local files it loads that are missing."""
    problems = []
    pending = [(address, page) for address in loads]
    pending += [(address, page) for css in inline_css for address in css_addresses(css)]
    seen: set[Path] = set()
    while pending:
        address, referrer = pending.pop()
        if address.startswith(("data:", "#", "about:")):
            continue
        if is_external(address):
            problems.append(f"{referrer.name}: {address}")
            continue
        target = (referrer.parent / unquote(urlsplit(address).path)).resolve()
        if not target.is_file():
            problems.append(f"{referrer.name}: missing local file {address}")
        elif target.suffix == ".css" and target not in seen:
            seen.add(target)
            pending += [(a, target) for a in css_addresses(target.read_text(encoding="utf-8"))]
    return problems
