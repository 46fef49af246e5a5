"""The training loop the later chapters share: ``fit``, ``evaluate``, predictions and their summary.

Chapter 07 writes this loop out in full once (training, testing, the confusion matrix); from then
on chapters call ``fit``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler
from tqdm.auto import tqdm

from course_utils import config
from course_utils.checkpoint import (
    CheckpointError,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)

__all__ = [
    "Batches",
    "train_one_epoch",
    "predict",
    "evaluate",
    "confusion_matrix",
    "per_class_accuracy",
    "fit",
]

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
TEST_KEYS = ("test_loss", "test_accuracy")


def _progress(batches: Batches, description: str, enabled: bool) -> Batches:
    """``batches`` behind a progress bar, unless ``enabled`` is False or ``COURSE_PROGRESS=0``."""
    enabled = enabled and config.progress_enabled()
    return tqdm(batches, desc=description, leave=False, disable=not enabled)


def train_one_epoch(
    model: nn.Module,
    batches: Batches,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device | str = "cpu",
    progress: bool = True,
    description: str = "train",
) -> dict[str, float]:
    """Run one pass over ``batches``, updating ``model``; return mean ``loss`` and ``accuracy``.

    The means are over examples. Chapter 07 writes this loop by hand (``train_blitz``).
    """
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for inputs, targets in _progress(batches, description, progress):
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(targets)
        correct += (outputs.argmax(dim=1) == targets).sum().item()
        seen += len(targets)
    return {"loss": total_loss / seen, "accuracy": correct / seen}


@torch.no_grad()
def predict(
    model: nn.Module, batches: Batches, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return ``(logits, predicted classes, true classes)`` for every example, on the CPU.

    ``model`` is put in evaluation mode. Chapter 07 writes this loop by hand (testing the network).
    """
    model.eval()
    logits, targets = [], []
    for inputs, labels in batches:
        logits.append(model(inputs.to(device)).cpu())
        targets.append(labels.cpu())
    all_logits = torch.cat(logits)
    return all_logits, all_logits.argmax(dim=1), torch.cat(targets)


def evaluate(
    model: nn.Module,
    batches: Batches,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    """Return ``accuracy`` (and mean ``loss`` when ``loss_fn`` is given) over ``batches``.

    Chapter 07 computes the accuracy on the whole test set by hand.
    """
    logits, predicted, targets = predict(model, batches, device)
    result = {"accuracy": (predicted == targets).float().mean().item()}
    if loss_fn is not None:
        result["loss"] = float(loss_fn(logits, targets).item())
    return result


def confusion_matrix(
    predicted: torch.Tensor, targets: torch.Tensor, num_classes: int
) -> torch.Tensor:
    """Counts (num_classes, num_classes): row = true class, column = predicted class.

    Chapter 07 builds it from the per-class accuracy loop.
    """
    index = targets.long() * num_classes + predicted.long()
    counts = torch.bincount(index, minlength=num_classes * num_classes)
    return counts.view(num_classes, num_classes)


def per_class_accuracy(matrix: torch.Tensor) -> torch.Tensor:
    """Accuracy of each true class from a confusion matrix (NaN for a class with no examples).

    Chapter 07 checks it against its per-class accuracy loop.
    """
    totals = matrix.sum(dim=1).float()
    return matrix.diagonal().float() / totals


def _batch_generator(batches: Batches) -> torch.Generator | None:
    """The generator that shuffles ``batches`` (TensorBatches, DataLoader), if it has one."""
    generator = getattr(batches, "generator", None)
    return generator if isinstance(generator, torch.Generator) else None


def _check_resume(
    state: dict[str, Any], path: Path, scheduler: LRScheduler | None, with_test: bool, epochs: int
) -> None:
    """Refuse a checkpoint that does not match this call to ``fit``, before anything is loaded."""
    done, history = state.get("epoch"), state.get("history")
    if not isinstance(done, int) or not isinstance(history, dict) or "train_loss" not in history:
        raise CheckpointError(
            f"{path} holds no training history (it was not written by fit). Delete {path} to "
            "start training afresh."
        )
    if done > epochs:
        raise CheckpointError(
            f"{path} already holds {done} epochs, more than the epochs={epochs} asked for. Ask "
            f"for epochs={done} (or more) to use it, or delete {path} to train {epochs} afresh."
        )
    had_test = all(key in history for key in TEST_KEYS)
    if with_test and not had_test:
        raise CheckpointError(
            f"{path} was trained without test_batches, so its history has no test entries for "
            f"its {done} epochs: drop test_batches to resume it, or delete {path} to train afresh "
            "with them."
        )
    if had_test and not with_test:
        raise CheckpointError(
            f"{path} was trained with test_batches (its history has test entries): pass "
            f"test_batches again to resume it, or delete {path} to train afresh without them."
        )
    if scheduler is None and state.get("scheduler") is not None:
        raise CheckpointError(
            f"{path} was trained with a {state.get('scheduler_class')} learning-rate scheduler, "
            f"but none was given: pass the same scheduler to resume its schedule, or delete "
            f"{path} to train afresh without one."
        )


def fit(
    model: nn.Module,
    train_batches: Batches,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    epochs: int,
    device: torch.device | str = "cpu",
    test_batches: Batches | None = None,
    scheduler: LRScheduler | None = None,
    checkpoint: str | Path | None = None,
    progress: bool = True,
    verbose: bool = True,
) -> dict[str, list[float]]:
    """Train for ``epochs`` and return the history of train (and test) loss and accuracy.

    ``scheduler`` is stepped once per epoch. With ``checkpoint``, everything is saved after every
    epoch, random states included, and a rerun resumes after the last epoch saved, ending with
    the same weights and history as a run never stopped. A checkpoint that does not fit the call
    (another model, optimizer or scheduler, with or without test entries, more epochs than
    ``epochs``) is refused with :class:`~course_utils.checkpoint.CheckpointError` before any
    training. Chapter 07 writes this loop by hand (``train_blitz``) and then uses ``fit``.
    """
    history: dict[str, list[float]] = {"train_loss": [], "train_accuracy": []}
    if test_batches is not None:
        history.update(test_loss=[], test_accuracy=[])
    generator = _batch_generator(train_batches)
    start = 0
    if checkpoint is not None and Path(checkpoint).exists():
        path = Path(checkpoint)
        state = read_checkpoint(path)
        _check_resume(state, path, scheduler, test_batches is not None, epochs)
        load_checkpoint(
            path,
            model,
            optimizer,
            scheduler,
            generator=generator,
            restore_random_state=True,
            state=state,
        )
        start, history = state["epoch"], state["history"]
        if verbose:
            print(f"Resumed from {checkpoint} after epoch {start}")
    for epoch in range(start, epochs):
        train = train_one_epoch(
            model,
            train_batches,
            optimizer,
            loss_fn,
            device,
            progress,
            description=f"epoch {epoch + 1}/{epochs}",
        )
        history["train_loss"].append(train["loss"])
        history["train_accuracy"].append(train["accuracy"])
        line = f"epoch {epoch + 1:>2}: train loss {train['loss']:.4f}, acc {train['accuracy']:.2%}"
        if test_batches is not None:
            test = evaluate(model, test_batches, loss_fn, device)
            history["test_loss"].append(test["loss"])
            history["test_accuracy"].append(test["accuracy"])
            line += f" | test loss {test['loss']:.4f}, acc {test['accuracy']:.2%}"
        if scheduler is not None:
            scheduler.step()
        if checkpoint is not None:
            save_checkpoint(checkpoint, model, optimizer, epoch + 1, history, scheduler, generator)
        if verbose:
            print(line)
    return history
