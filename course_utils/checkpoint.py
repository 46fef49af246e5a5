"""Saving and safely reloading training state, refusing a checkpoint that does not fit the call.

Chapter 04 teaches saving a ``state_dict`` and reloading it with ``weights_only=True``; Chapter 07
saves the trained network under ``checkpoints/``. A checkpoint here holds more, so that a
training run can resume exactly: the model, optimizer and scheduler states (with their class
names), the epochs done, the history, and the random-number generators' states.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler

from course_utils.paths import private_name

__all__ = ["CheckpointError", "save_checkpoint", "read_checkpoint", "load_checkpoint"]


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used for this call; the message names the file and the fix."""


def _fix(path: Path) -> str:
    return f"Delete {path} to start training afresh, or load it into the model that wrote it."


def _random_state(generator: torch.Generator | None) -> dict[str, Any]:
    """Every random-number generator training draws from, as uint8 tensors."""
    state: dict[str, Any] = {"cpu": torch.get_rng_state(), "cuda": [], "generator": None}
    # Only when CUDA is in use: asking for its states would otherwise start it for nothing.
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if generator is not None:
        state["generator"] = generator.get_state()
    return state


def _restore_random_state(state: Mapping[str, Any]) -> None:
    torch.set_rng_state(state["cpu"])
    if state["cuda"] and torch.cuda.is_available():
        for index, cuda_state in enumerate(state["cuda"][: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(cuda_state, index)


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None,
    epoch: int,
    history: dict[str, list[float]],
    scheduler: LRScheduler | None = None,
    generator: torch.Generator | None = None,
) -> None:
    """Write model, optimizer and scheduler state, the epochs done and the history to ``path``.

    Also saved: torch's global random state (CPU, and CUDA's when in use) and ``generator``'s
    (the one that shuffles the batches), so that training can go on exactly as if never stopped.
    Everything is tensors and plain values: ``torch.load(weights_only=True)`` reads it. The file
    is written atomically: to a temporary file of this writer's own in the same folder, then
    renamed over ``path`` (the temporary file is removed if writing fails). Chapter 04 saves a
    ``state_dict`` by hand and Chapter 07 a trained network's, under ``checkpoints/``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "model_class": type(model).__name__,
        "model": model.state_dict(),
        "optimizer_class": type(optimizer).__name__ if optimizer is not None else None,
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler_class": type(scheduler).__name__ if scheduler is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "epoch": epoch,
        "history": history,
        "rng": _random_state(generator),
    }
    partial = private_name(path)
    try:
        with open(partial, "xb") as file:
            torch.save(state, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read ``path`` with ``torch.load(weights_only=True)`` (which refuses pickled code) onto the
    CPU, and return what it holds, without loading it into anything.

    Anything that is not a checkpoint written by :func:`save_checkpoint` raises
    :class:`CheckpointError`. Chapter 04 shows why ``weights_only=True``.
    """
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # missing, truncated, not a checkpoint, or unsafe pickle
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({error}). {_fix(path)}"
        ) from error
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        message = f"{path} is not a checkpoint written by save_checkpoint."
        raise CheckpointError(f"{message} {_fix(path)}")
    return state


def _check_model(state: Mapping[str, Any], path: Path, model: nn.Module) -> None:
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    found = {name: tuple(t.shape) for name, t in state["model"].items()}
    if state.get("model_class") != type(model).__name__ or expected != found:
        differing = sorted(set(expected.items()) ^ set(found.items()))[:3]
        raise CheckpointError(
            f"{path} was saved from a {state.get('model_class')}, not this "
            f"{type(model).__name__} (differing parameters, first few: {differing}). {_fix(path)}"
        )


def _check_optimizer(
    state: Mapping[str, Any], path: Path, optimizer: torch.optim.Optimizer | None
) -> None:
    saved = state.get("optimizer_class")
    if optimizer is None or state.get("optimizer") is None or saved is None:
        return
    if saved != type(optimizer).__name__:
        raise CheckpointError(
            f"{path} holds the state of a {saved} optimizer, but a {type(optimizer).__name__} "
            f"was given: their states do not mix. Pass a {saved} to resume this run, or delete "
            f"{path} to train afresh with the {type(optimizer).__name__}."
        )


def _check_scheduler(state: Mapping[str, Any], path: Path, scheduler: LRScheduler | None) -> None:
    if scheduler is None:
        return
    saved = state.get("scheduler_class")
    given = type(scheduler).__name__
    if state.get("scheduler") is None:
        raise CheckpointError(
            f"{path} was saved without a learning-rate scheduler, but a {given} was given: "
            f"its schedule cannot be resumed. Drop the scheduler to resume this run, or delete "
            f"{path} to train afresh with it."
        )
    if saved is not None and saved != given:
        raise CheckpointError(
            f"{path} holds the state of a {saved} scheduler, but a {given} was given. Pass a "
            f"{saved} to resume this run, or delete {path} to train afresh with the {given}."
        )


def _check_random_state(
    state: Mapping[str, Any], path: Path, generator: torch.Generator | None, restore: bool
) -> None:
    if generator is None and not restore:
        return
    saved = state.get("rng")
    if saved is None:
        raise CheckpointError(
            f"{path} holds no random states (an older course_utils wrote it), so training "
            f"cannot resume exactly from it. {_fix(path)}"
        )
    saved_generator = saved["generator"]
    if (restore and generator is None and saved_generator is not None) or (
        generator is not None and saved_generator is None
    ):
        had, given = ("a", "none") if generator is None else ("no", "one")
        raise CheckpointError(
            f"{path} was saved from batches with {had} shuffling generator, but {given} was "
            f"given (the batches' `.generator`), so the batch order cannot resume exactly. Use "
            f"batches like those of the run that wrote it, or delete {path} to train afresh."
        )
    if generator is not None and saved_generator.shape != generator.get_state().shape:
        raise CheckpointError(
            f"{path} holds the state of another kind of generator than this {generator.device} "
            f"one. Use a generator like the run's that wrote it, or delete {path} to train "
            "afresh."
        )


def load_checkpoint(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: LRScheduler | None = None,
    *,
    generator: torch.Generator | None = None,
    restore_random_state: bool = False,
    state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Load ``path`` into ``model`` (and ``optimizer``, ``scheduler``); return the saved state.

    Everything is checked before anything is loaded: a checkpoint of another model (other
    class, other layer names or shapes), of another optimizer class, or without the scheduler
    given (or of another scheduler class) raises :class:`CheckpointError`. ``generator`` gets
    the saved batch-order state, and ``restore_random_state=True`` also restores torch's global
    random state, as a resumed training run needs. ``state`` is what :func:`read_checkpoint`
    returned for ``path``, if already read. Chapter 04 reloads a ``state_dict`` by hand
    (``torch.load(weights_only=True)`` + ``load_state_dict``); Chapter 07 its trained network.
    """
    path = Path(path)
    if state is None:
        state = read_checkpoint(path)
    _check_model(state, path, model)
    _check_optimizer(state, path, optimizer)
    _check_scheduler(state, path, scheduler)
    _check_random_state(state, path, generator, restore_random_state)
    model.load_state_dict(state["model"])
    if optimizer is not None and state.get("optimizer") is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    if generator is not None:
        generator.set_state(state["rng"]["generator"])
    if restore_random_state:
        _restore_random_state(state["rng"])
    return state
