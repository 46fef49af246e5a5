"""Test-wide setup: the fast profile, and strict warnings inside notebook kernels.

This conftest sits at the root so that it also applies to `pytest notebooks`.

nbval starts one Jupyter kernel per notebook; kernels inherit this process's environment.
An IPython startup file, in a temporary IPYTHONDIR, turns DeprecationWarning and FutureWarning
raised by the book's own code (notebook cells run as ``__main__``, and ``course_utils``) into
errors, so a chapter that uses outdated API fails its test.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

STRICT_WARNINGS = """\
import warnings
for _category in (DeprecationWarning, FutureWarning):
    for _module in ("__main__", "course_utils"):
        warnings.filterwarnings("error", category=_category, module=_module)
"""


def pytest_configure(config) -> None:
    os.environ.setdefault("COURSE_PROFILE", "fast")
    os.environ.setdefault("COURSE_PROGRESS", "0")
    ipython_dir = Path(tempfile.mkdtemp(prefix="course-ipython-"))
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-strict-warnings.py").write_text(STRICT_WARNINGS)
    os.environ["IPYTHONDIR"] = str(ipython_dir)
