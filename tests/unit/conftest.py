"""Setup every unit test gets: no network, a private data directory, no progress bars, Agg plots."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # before pyplot is imported anywhere: no window, no display needed

_real_connect = socket.socket.connect
# The real mirror, as the Makefile (or the person running pytest) set it before the tests unset it.
_REAL_MIRROR = os.environ.get("COURSE_DATA_MIRROR")


def _loopback_only(sock: socket.socket, address, *args, **kwargs):
    """socket.connect that lets tests talk to servers on this machine and refuses the rest."""
    host = address[0] if isinstance(address, tuple) else None
    try:
        allowed = host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, not an address: only localhost
        allowed = host == "localhost"
    if not allowed and sock.family in (socket.AF_INET, socket.AF_INET6):
        raise OSError(101, f"network blocked in unit tests (connect to {address!r})")
    return _real_connect(sock, address, *args, **kwargs)


@pytest.fixture(autouse=True)
def _unit_test_environment(monkeypatch, tmp_path) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    monkeypatch.setattr(socket, "getaddrinfo", _no_name_lookup(socket.getaddrinfo))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.delenv("COURSE_DOWNLOAD_TIMEOUT", raising=False)
    monkeypatch.delenv("COURSE_DOWNLOAD_DEADLINE", raising=False)
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _no_name_lookup(real):
    def lookup(host, *args, **kwargs):
        if host in (None, "localhost") or _is_address(host):
            return real(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, f"name lookup blocked in unit tests ({host})")

    return lookup


def _is_address(host) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@pytest.fixture
def data_root(tmp_path) -> Path:
    """The test's data directory (what ``COURSE_DATA_DIR`` points at)."""
    return tmp_path / "data"


@pytest.fixture
def real_mirror(monkeypatch) -> Path:
    """The real data mirror (``COURSE_DATA_MIRROR`` as set before the tests); skip without it."""
    if not _REAL_MIRROR or not Path(_REAL_MIRROR).is_dir():
        pytest.skip("the real data mirror is not on this machine (COURSE_DATA_MIRROR unset)")
    monkeypatch.setenv("COURSE_DATA_MIRROR", _REAL_MIRROR)
    return Path(_REAL_MIRROR)
