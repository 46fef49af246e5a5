"""Trained weights from torchvision's model zoo that never hang and never load a bad file.

``torchvision.models.get_model(name, weights=...)`` downloads the weights file into
``torch.hub.get_dir()/checkpoints`` (under ``TORCH_HOME``) the first time, with no time limit,
and afterwards loads whatever file has that name: torch.hub checks a file's hash only while
downloading it. :func:`load_pretrained` builds the model with ``weights=None`` and fills it
itself: from the cache after checking the hash the file's name carries, else by a download that
waits at most ``COURSE_DOWNLOAD_TIMEOUT`` seconds per network operation (Chapter 15). When the
weights cannot be had it prints one line and returns the randomly initialised model; a cached
file that fails its hash raises :class:`WeightsFileError`, naming the file and the fix.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import torch
import torchvision
from torch import nn
from torchvision.models import WeightsEnum

from course_utils import config, data

__all__ = ["WeightsFileError", "cached_file", "check_hash", "load_pretrained"]

# torch.hub's convention: "resnet18-f37072fd.pth" carries the first hex digits of its sha256.
HASH_IN_NAME = re.compile(r"-([a-f0-9]*)\.")


class WeightsFileError(RuntimeError):
    """A cached weights file is corrupt or not the one its name promises; names file and fix."""


def cached_file(weights: WeightsEnum) -> Path:
    """Where torch.hub keeps (or would keep) the file of ``weights``."""
    name = Path(urlparse(weights.url).path).name
    return Path(torch.hub.get_dir()) / "checkpoints" / name


def check_hash(path: Path) -> None:
    """Raise :class:`WeightsFileError` unless ``path``'s sha256 starts with the hash in its name."""
    match = HASH_IN_NAME.search(path.name)
    if match is None:
        return  # a name without a hash promises nothing
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if not digest.startswith(match.group(1)):
        raise WeightsFileError(
            f"{path} is not the weights file its name promises (its sha256 starts with "
            f"{digest[: len(match.group(1))]}, not {match.group(1)}): a broken download or "
            "another file under this name. Delete it; the next call downloads it again."
        )


def _download(weights: WeightsEnum, target: Path) -> str | None:
    """Fetch ``weights`` to ``target`` (hash checked); None on success, else why not (one line)."""
    timeout = config.download_timeout()
    if timeout == 0:
        return "downloads off (COURSE_DOWNLOAD_TIMEOUT=0)"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    try:
        data._fetch(weights.url, partial, timeout, time.monotonic() + config.download_deadline())
        check_hash(partial)
        partial.replace(target)
    except WeightsFileError as error:
        return f"the download was corrupt ({error})"
    except OSError as error:  # no network, refused, timed out, the deadline passed
        return f"download failed ({getattr(error, 'reason', None) or error})"
    finally:
        partial.unlink(missing_ok=True)
    return None


def load_pretrained(name: str, weights: WeightsEnum | None) -> tuple[nn.Module, bool]:
    """The zoo's model ``name`` with ``weights`` when they can be had; ``(model, loaded)``.

    Without the weights (none asked for, no cached file and no download) the model keeps its
    random initialisation, ``loaded`` is False, and one line says why.
    """
    model = torchvision.models.get_model(name, weights=None)
    if weights is None:
        return model, False
    path = cached_file(weights)
    if not path.is_file():
        reason = _download(weights, path)
        if reason is not None:
            print(f"[weights] {weights}: {reason}; {name} keeps its random initialisation")
            return model, False
    check_hash(path)
    try:
        model.load_state_dict(torch.load(path, weights_only=True))
    except (RuntimeError, EOFError, pickle.UnpicklingError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise WeightsFileError(
            f"{path} does not hold {weights} for {name} ({first_line}). Delete it; the next "
            "call downloads the right file."
        ) from error
    print(f"[weights] {weights} loaded from {path}")
    return model, True
