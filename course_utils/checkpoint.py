"""Saving and safely reloading training state, refusing a checkpoint of another model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler


class CheckpointError(RuntimeError):
    """A checkpoint cannot be loaded into this model; the message names the file and the fix."""


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None,
    epoch: int,
    history: dict[str, list[float]],
    scheduler: LRScheduler | None = None,
) -> None:
    """Write model, optimizer and scheduler state, the epochs done and the history to ``path``.

    The file is written atomically (to a temporary name, then renamed).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "model_class": type(model).__name__,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "epoch": epoch,
        "history": history,
    }
    partial = path.with_name(path.name + ".partial")
    torch.save(state, partial)
    partial.replace(path)


def load_checkpoint(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: LRScheduler | None = None,
) -> dict[str, Any]:
    """Load ``path`` into ``model`` (and ``optimizer``, ``scheduler``); return the saved state.

    Uses ``torch.load(weights_only=True)``, which refuses pickled code. A checkpoint written for
    another model (other class, other layer names or shapes) raises :class:`CheckpointError`.
    """
    path = Path(path)
    fix = f"Delete {path} to start training afresh, or load it into the model that wrote it."
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated file, not a checkpoint, or unsafe pickle
        raise CheckpointError(f"{path} is not a readable checkpoint ({error}). {fix}") from error
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"{path} is not a checkpoint written by save_checkpoint. {fix}")
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    found = {name: tuple(t.shape) for name, t in state["model"].items()}
    if state.get("model_class") != type(model).__name__ or expected != found:
        differing = sorted(set(expected.items()) ^ set(found.items()))[:3]
        raise CheckpointError(
            f"{path} was saved from a {state.get('model_class')}, not this "
            f"{type(model).__name__} (differing parameters, first few: {differing}). {fix}"
        )
    model.load_state_dict(state["model"])
    if optimizer is not None and state.get("optimizer") is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state.get("scheduler") is not None:
        scheduler.load_state_dict(state["scheduler"])
    return state
