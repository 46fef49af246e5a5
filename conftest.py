"""Test-wide setup: the fast profile, nbval's sanitiser, strict warnings inside notebook kernels.

This conftest sits at the root so that it also applies to `pytest notebooks`, from any directory.

nbval starts one Jupyter kernel per notebook; kernels inherit this process's environment.
An IPython startup file, in a temporary IPYTHONDIR, turns DeprecationWarning and FutureWarning
raised by the book's own code (notebook cells run as ``__main__``, and ``course_utils``) into
errors, so a chapter that uses outdated API fails its test.

What a run leaves behind is removed on every way out: at the end of the run, at interpreter exit,
and on SIGTERM (the handler cleans up, then lets the signal do what it did before): the temporary
IPYTHONDIR, and ``notebooks/.ipynb_checkpoints`` when the run created it (a JupyterLab server
under test writes it).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SANITIZER = ROOT / "tests" / "sanitize.cfg"
CHECKPOINTS = ROOT / "notebooks" / ".ipynb_checkpoints"

STRICT_WARNINGS = """\
import warnings
for _category in (DeprecationWarning, FutureWarning):
    for _module in ("__main__", "course_utils"):
        warnings.filterwarnings("error", category=_category, module=_module)
"""


class _Run:
    """What one pytest run set up, and how to take it down again (once, from wherever)."""

    def __init__(self) -> None:
        self.checkpoints_existed = CHECKPOINTS.exists()
        self.previous_ipython_dir = os.environ.get("IPYTHONDIR")
        self.ipython_dir = Path(tempfile.mkdtemp(prefix="course-ipython-"))
        startup = self.ipython_dir / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-strict-warnings.py").write_text(STRICT_WARNINGS)
        os.environ["IPYTHONDIR"] = str(self.ipython_dir)
        self.done = False
        atexit.register(self.clean_up)
        self.previous_sigterm = None
        self.handles_sigterm = False
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGTERM)
            if previous != signal.SIG_IGN:
                self.previous_sigterm = previous
                signal.signal(signal.SIGTERM, self._on_sigterm)
                self.handles_sigterm = True

    def clean_up(self) -> None:
        if self.done:
            return
        self.done = True
        shutil.rmtree(self.ipython_dir, ignore_errors=True)
        if os.environ.get("IPYTHONDIR") == str(self.ipython_dir):
            if self.previous_ipython_dir is None:
                del os.environ["IPYTHONDIR"]
            else:
                os.environ["IPYTHONDIR"] = self.previous_ipython_dir
        if not self.checkpoints_existed:
            shutil.rmtree(CHECKPOINTS, ignore_errors=True)

    def _on_sigterm(self, signum: int, frame: object) -> None:
        self.clean_up()
        previous = self.previous_sigterm
        signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        else:  # the default: terminate, as if this handler had never been there
            os.kill(os.getpid(), signum)

    def end(self) -> None:
        """The run's own end: clean up, and leave the signal handler as it was."""
        self.clean_up()
        atexit.unregister(self.clean_up)
        if self.handles_sigterm and signal.getsignal(signal.SIGTERM) == self._on_sigterm:
            signal.signal(signal.SIGTERM, self.previous_sigterm or signal.SIG_DFL)


_RUN = pytest.StashKey[_Run]()


@pytest.hookimpl(trylast=True)  # after nbval's own pytest_configure (its deprecated aliases)
def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("COURSE_PROFILE", "fast")
    os.environ.setdefault("COURSE_PROGRESS", "0")
    # nbval reads the file when a notebook is set up, relative to the current directory: an
    # absolute path works from anywhere. `--nbval-sanitize-with FILE` still chooses another.
    if getattr(config.option, "nbval_sanitize_with", "") is None:
        config.option.nbval_sanitize_with = str(SANITIZER)
    config.stash[_RUN] = _Run()


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is not None:
        run.end()
