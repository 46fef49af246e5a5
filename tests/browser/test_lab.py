"""Smoke test of `make lab`: the server starts as `make lab` starts it (headless, on a free
loopback port, with a token), its file browser lists each chapter once (the notebooks, not their
jupytext sources, which sit in notebooks/src/), it runs chapter 00 in the book's kernel, renders
it in Chromium, offers RISE's live slides, and stops cleanly.

`make lab` runs in a process group of its own, which is stopped as a whole (make, jupyter-lab)
whichever way the run ends: the fixture's teardown, interpreter exit, or a SIGTERM to pytest."""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import websocket
from browser_support import LAB_TIMES, ROOT, Watched

pytestmark = pytest.mark.browser

KERNEL = "pytorch-course"
KERNEL_DISPLAY_NAME = "PyTorch course (.venv)"
CHAPTER = "00_welcome.ipynb"
# What the file browser at the notebooks root shows: one notebook per chapter source (notebooks/
# src/NN_name.py -> NN_name.ipynb), and the src folder; no .py beside the notebooks.
SOURCES = sorted((ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py"))
CHAPTERS = [f"{source.stem}.ipynb" for source in SOURCES]
FORMATS = "ipynb,src//py:percent"


@dataclass
class Lab:
    url: str
    token: str
    process: subprocess.Popen
    log: Path

    def api(self, path: str, method: str = "GET", body: object = None) -> object:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None


def _stop(process: subprocess.Popen, grace: float = 30) -> None:
    """SIGTERM to the server's whole process group (`make lab` and the jupyter-lab it runs:
    make only waits for its child), SIGKILL to whatever is left after ``grace`` seconds.
    Every wait has a timeout: this also runs inside a signal handler."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


@contextlib.contextmanager
def _stopped_on_every_exit(process: subprocess.Popen) -> Iterator[None]:
    """Stops ``process``'s group when the block ends, at interpreter exit, and on SIGTERM (then
    the signal goes on to the handler that was there before, by default terminating pytest)."""
    at_exit = functools.partial(_stop, process, 10)
    atexit.register(at_exit)
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: object) -> None:
        _stop(process, 10)
        signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        else:
            os.kill(os.getpid(), signum)

    if previous != signal.SIG_IGN:
        signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        _stop(process)
        atexit.unregister(at_exit)
        if signal.getsignal(signal.SIGTERM) is on_sigterm:
            signal.signal(signal.SIGTERM, previous)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Lab]:
    """`make lab`, with JupyterLab's port and token from the environment and a throw-away
    configuration (no user settings, workspaces or news pop-up). The seconds from `make lab` to
    a server that answers are kept for the run's summary (tests/browser/conftest.py)."""
    home = tmp_path_factory.mktemp("jupyter")
    settings = home / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = dict(
        os.environ,
        JUPYTER_PORT=str(_free_port()),
        JUPYTER_PORT_RETRIES="0",
        JUPYTER_TOKEN=secrets.token_hex(16),
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
    )
    env.pop("DISPLAY", None)  # `make lab` adds --no-browser on a machine without a display
    log = home / "lab.log"
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "lab"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Lab(f"http://127.0.0.1:{env['JUPYTER_PORT']}", env["JUPYTER_TOKEN"], process, log)
    with _stopped_on_every_exit(process):  # the last test stops it through the API first
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"`make lab` exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no server after 120 s:\n{log.read_text()[-3000:]}"
            try:
                server.api("/api/status")
                break
            except OSError:
                time.sleep(0.3)
        times = pytestconfig.stash.setdefault(LAB_TIMES, {})
        times["`make lab` (environment already built) to a server that answers"] = (
            time.monotonic() - started
        )
        yield server


def test_the_books_kernel_is_the_default(lab: Lab) -> None:
    specs = lab.api("/api/kernelspecs")
    assert specs["default"] == KERNEL
    assert specs["kernelspecs"][KERNEL]["spec"]["display_name"] == KERNEL_DISPLAY_NAME
    notebook = lab.api(f"/api/contents/{CHAPTER}")
    assert notebook["content"]["metadata"]["kernelspec"]["name"] == KERNEL


def test_the_file_browser_lists_each_chapter_once(lab: Lab) -> None:
    """The server's contents API (what JupyterLab's file browser shows) at the notebooks root:
    each chapter's .ipynb once, the src folder, and no .py (the sources live in src/)."""
    assert len(CHAPTERS) >= 9, CHAPTERS
    root = lab.api("/api/contents/?content=1")
    names = Counter(entry["name"] for entry in root["content"])
    assert [name for name in names if name.endswith(".py")] == []
    assert {name: n for name, n in names.items() if n != 1} == {}
    by_type = {
        kind: sorted(e["name"] for e in root["content"] if e["type"] == kind)
        for kind in ("notebook", "directory", "file")
    }
    assert by_type == {"notebook": CHAPTERS, "directory": ["src"], "file": []}
    # The sources are there for authors, one per chapter, under src/; the server's jupytext
    # pairs each notebook with its source through the formats in the notebook's metadata.
    sources = lab.api("/api/contents/src?content=1")
    assert sorted(e["name"] for e in sources["content"]) == [s.name for s in SOURCES]
    notebook = lab.api(f"/api/contents/{CHAPTER}")
    assert notebook["content"]["metadata"]["jupytext"]["formats"] == FORMATS


def _execute(channel: websocket.WebSocket, code: str) -> tuple[str, list[str]]:
    """Runs `code` through the kernel's websocket; returns its printed text and any errors."""
    msg_id = uuid.uuid4().hex
    channel.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "username": "test",
                    "session": uuid.uuid4().hex,
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "channel": "shell",
                "content": {"code": code, "silent": False, "allow_stdin": False},
            }
        )
    )
    printed, errors = [], []
    while True:
        message = json.loads(channel.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            printed.append(content["text"])
        elif kind == "error":
            errors.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(printed), errors


def test_chapter_00_runs_in_the_servers_kernel(lab: Lab) -> None:
    """A session for chapter 00 (no kernel named: the default), then its cells from the top to
    the first checked one, through the kernel's websocket; that cell prints what the book shows."""
    session = lab.api(
        "/api/sessions", "POST", {"path": CHAPTER, "type": "notebook", "name": CHAPTER}
    )
    assert session["kernel"]["name"] == KERNEL
    cells = [
        cell
        for cell in nbformat.read(ROOT / "notebooks" / CHAPTER, as_version=4).cells
        if cell.cell_type == "code"
    ]
    checked = next(
        i for i, cell in enumerate(cells) if "nbval-check-output" in cell.metadata.get("tags", [])
    )
    expected = "".join(
        o.get("text", "") for o in cells[checked].outputs if o.output_type == "stream"
    )
    ws_url = lab.url.replace("http", "ws", 1)
    channel = websocket.create_connection(
        f"{ws_url}/api/kernels/{session['kernel']['id']}/channels?token={lab.token}", timeout=120
    )
    try:
        where, errors = _execute(channel, "import sys; print(sys.prefix)")
        assert errors == [] and Path(where.strip()) == ROOT / ".venv"
        for cell in cells[:checked]:
            assert _execute(channel, cell.source)[1] == []
        printed, errors = _execute(channel, cells[checked].source)
    finally:
        channel.close()
        lab.api(f"/api/sessions/{session['id']}", "DELETE")
    assert errors == []
    assert printed == expected and printed


def test_jupyterlab_renders_chapter_00_in_chromium(
    lab: Lab, watched_page: Watched, screenshots: Path, pytestconfig: pytest.Config
) -> None:
    """What a student sees first: the notebook, the book's kernel started and idle (timed for
    the run's summary), RISE's button and the file browser."""
    page = watched_page.page
    started = time.monotonic()
    page.goto(f"{lab.url}/lab/tree/{CHAPTER}?token={lab.token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_function(
        """name => [...document.querySelectorAll(".jp-NotebookPanel-toolbar .jp-KernelName")]
                    .some(e => e.textContent.includes(name))""",
        arg=KERNEL_DISPLAY_NAME,
        timeout=60_000,
    )
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000)
    pytestconfig.stash.setdefault(LAB_TIMES, {})[
        f"then {CHAPTER} open in Chromium, the book's kernel idle"
    ] = time.monotonic() - started
    assert page.locator('.jp-NotebookPanel-toolbar [data-command="RISE:preview"]').count() == 1
    # The file browser beside it, at the notebooks root: the src folder, then each chapter's
    # notebook once, and not one .py (what a student would not know to leave alone).
    items = ".jp-FileBrowser .jp-DirListing-content .jp-DirListing-item"
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length >= n",
        arg=[items, len(CHAPTERS) + 1],
        timeout=60_000,
    )
    listed = page.locator(f"{items} .jp-DirListing-itemText").all_text_contents()
    listed = [name.strip() for name in listed]
    assert Counter(listed) == Counter(["src", *CHAPTERS]), listed
    assert not [name for name in listed if name.endswith(".py")]
    page.screenshot(path=screenshots / "lab_00_welcome.png")
    assert watched_page.problems == []


def test_rise_presents_a_chapter_live(lab: Lab, watched_page: Watched, screenshots: Path) -> None:
    """jupyterlab-rise is installed and enabled, and its slideshow page shows the chapter.

    RISE 0.43.1's page is built against JupyterLab 4.3, so other extensions (the widgets
    manager) fail to load inside it and log console errors; only its requests are checked."""
    listing = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "jupyter"), "labextension", "list"],
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
    )
    lines = (listing.stdout + listing.stderr).splitlines()
    assert any("jupyterlab-rise" in line and "enabled" in line and "OK" in line for line in lines)

    page = watched_page.page
    page.goto(f"{lab.url}/rise/02_autograd.ipynb?token={lab.token}")
    title = page.locator(".reveal .slides section.present h1").first
    title.wait_for(timeout=60_000)
    assert "Chapter 2" in title.text_content()
    page.wait_for_timeout(500)  # the slide's entrance transition
    page.screenshot(path=screenshots / "rise_02_autograd.png")
    # RISE asks for optional stylesheets beside the notebook (rise.css, 02_autograd.css): 404s.
    optional = ("/files/rise.css", "/files/02_autograd.css")
    requests = [
        p
        for p in watched_page.problems
        if not p.startswith("console error") and not any(css in p for css in optional)
    ]
    assert requests == []


def test_the_server_stops_cleanly(lab: Lab) -> None:
    lab.api("/api/shutdown", "POST")
    assert lab.process.wait(timeout=60) == 0
    assert "Shutting down" in lab.log.read_text()


# --------------------------------------------------------------------------- a terminated run


def _processes_with(variable: str, under: Path) -> dict[int, str]:
    """Live processes (pid: command line) whose environment sets ``variable`` to a path under
    ``under``: here, everything a lab fixture started (make, jupyter-lab, kernels)."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue  # a zombie: gone, only not yet reaped
            environ = (proc / "environ").read_bytes().split(b"\0")
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # it ended meanwhile, or is not ours to read
            continue
        prefix = f"{variable}={under}{os.sep}".encode()
        if any(entry.startswith(prefix) for entry in environ):
            found[int(proc.name)] = command
    return found


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")
def test_a_terminated_test_run_leaves_no_server_behind(tmp_path: Path) -> None:
    """pytest on the kernel tests in a subprocess, sent SIGTERM as soon as its server answers:
    the run terminates, and no `make lab`, jupyter-lab or kernel of that server is left."""
    basetemp = tmp_path / "run"
    here = Path(__file__).relative_to(ROOT)
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            # The two tests that need no Chromium: a few seconds of work once the server answers.
            f"{here}::test_the_books_kernel_is_the_default",
            f"{here}::test_chapter_00_runs_in_the_servers_kernel",
            "-q",
            "-p",
            "no:randomly",
            "--basetemp",
            str(basetemp),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    port = None
    try:
        deadline = time.monotonic() + 180
        while port is None or not _answers(port):
            assert run.poll() is None, f"the run ended first:\n{run.communicate()[0][-3000:]}"
            assert time.monotonic() < deadline, "no server after 180 s"
            time.sleep(0.2)
            for pid in _processes_with("JUPYTER_CONFIG_DIR", basetemp):
                try:
                    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                except OSError:  # it ended since it was listed (make's short-lived shells)
                    continue
                ports = [e.split(b"=", 1)[1] for e in environ if e.startswith(b"JUPYTER_PORT=")]
                port = int(ports[0]) if ports else port
        run.send_signal(signal.SIGTERM)
        output = run.communicate(timeout=120)[0]
        assert run.returncode == -signal.SIGTERM, output[-3000:]
        deadline = time.monotonic() + 20  # kernels notice a gone server within a second or two
        while (left := _processes_with("JUPYTER_CONFIG_DIR", basetemp)) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.5)
        assert left == {}, f"left running after SIGTERM: {left}"
        assert not _answers(port)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        for pid in _processes_with("JUPYTER_CONFIG_DIR", basetemp):  # what the test found
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        run.wait(timeout=30)
