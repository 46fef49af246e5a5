"""The training loop the later chapters share: ``fit``, ``evaluate``, predictions and their summary.

Chapter 07 writes this loop out in full once; from then on chapters call ``fit``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from course_utils.checkpoint import load_checkpoint, save_checkpoint

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def _progress(batches: Batches, description: str, enabled: bool):
    # COURSE_PROGRESS=0 silences the bars (the tests and `make book` set it).
    enabled = enabled and os.environ.get("COURSE_PROGRESS", "1") != "0"
    return tqdm(batches, desc=description, leave=False, disable=not enabled)


def train_one_epoch(
    model: nn.Module,
    batches: Batches,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable,
    device: torch.device | str = "cpu",
    progress: bool = True,
    description: str = "train",
) -> dict[str, float]:
    """Run one pass over ``batches``, updating ``model``; return mean ``loss`` and ``accuracy``."""
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
    """Return ``(logits, predicted classes, true classes)`` for every example, on the CPU."""
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
    loss_fn: Callable | None = None,
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    """Return ``accuracy`` (and mean ``loss`` when ``loss_fn`` is given) over ``batches``."""
    logits, predicted, targets = predict(model, batches, device)
    result = {"accuracy": (predicted == targets).float().mean().item()}
    if loss_fn is not None:
        result["loss"] = float(loss_fn(logits, targets).item())
    return result


def confusion_matrix(
    predicted: torch.Tensor, targets: torch.Tensor, num_classes: int
) -> torch.Tensor:
    """Counts (num_classes, num_classes): row = true class, column = predicted class."""
    index = targets.long() * num_classes + predicted.long()
    counts = torch.bincount(index, minlength=num_classes * num_classes)
    return counts.view(num_classes, num_classes)


def per_class_accuracy(matrix: torch.Tensor) -> torch.Tensor:
    """Accuracy of each true class from a confusion matrix (NaN for a class with no examples)."""
    totals = matrix.sum(dim=1).float()
    return matrix.diagonal().float() / totals


def fit(
    model: nn.Module,
    train_batches: Batches,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable,
    epochs: int,
    device: torch.device | str = "cpu",
    test_batches: Batches | None = None,
    scheduler=None,
    checkpoint: str | Path | None = None,
    progress: bool = True,
    verbose: bool = True,
) -> dict[str, list[float]]:
    """Train for ``epochs`` and return the history of train (and test) loss and accuracy.

    With ``checkpoint``, state is saved after every epoch and a rerun resumes from the last one
    saved (a checkpoint of another model is refused with a clear message). ``scheduler`` is
    stepped once per epoch.
    """
    history: dict[str, list[float]] = {"train_loss": [], "train_accuracy": []}
    if test_batches is not None:
        history.update(test_loss=[], test_accuracy=[])
    start = 0
    if checkpoint is not None and Path(checkpoint).exists():
        state = load_checkpoint(checkpoint, model, optimizer, scheduler)
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
            save_checkpoint(checkpoint, model, optimizer, epoch + 1, history, scheduler)
        if verbose:
            print(line)
    return history
