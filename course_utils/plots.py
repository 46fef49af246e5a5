"""The book's three recurring pictures: an image grid, training curves, a confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure


def unnormalize(images: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """Undo ``transforms.Normalize(mean, std)`` on a batch (N,C,H,W) or one image (C,H,W)."""
    shape = (-1, 1, 1)
    mean_t = torch.as_tensor(mean, dtype=images.dtype, device=images.device).view(shape)
    std_t = torch.as_tensor(std, dtype=images.dtype, device=images.device).view(shape)
    return images * std_t + mean_t


def show_images(
    images: torch.Tensor | Sequence[torch.Tensor],
    labels: Sequence[int] | torch.Tensor | None = None,
    classes: Sequence[str] | None = None,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    ncols: int = 8,
    predictions: Sequence[int] | torch.Tensor | None = None,
) -> Figure:
    """Draw images (N,C,H,W) in a grid, titled with their labels (and predictions, red if wrong).

    Pass the ``mean``/``std`` used by ``Normalize`` to show the original pixels.
    """
    batch = torch.stack(list(images)) if not isinstance(images, torch.Tensor) else images
    if batch.ndim != 4:
        raise ValueError(f"expected images shaped (N,C,H,W), got {tuple(batch.shape)}")
    batch = batch.detach().cpu().float()
    if mean is not None and std is not None:
        batch = unnormalize(batch, mean, std)
    batch = batch.clamp(0, 1)
    count = len(batch)
    ncols = max(1, min(ncols, count))
    nrows = (count + ncols - 1) // ncols
    figure, axes = plt.subplots(nrows, ncols, figsize=(1.4 * ncols, 1.6 * nrows), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= count:
            continue
        picture = batch[index].permute(1, 2, 0).numpy()
        if picture.shape[2] == 1:
            axis.imshow(picture[:, :, 0], cmap="gray", vmin=0, vmax=1)
        else:
            axis.imshow(picture)
        title, colour = _caption(index, labels, predictions, classes)
        axis.set_title(title, fontsize=8, color=colour)
    figure.tight_layout()
    plt.show()
    return figure


def _caption(index, labels, predictions, classes) -> tuple[str, str]:
    def name(value) -> str:
        value = int(value)
        return classes[value] if classes is not None else str(value)

    if labels is None:
        return "", "black"
    if predictions is None:
        return name(labels[index]), "black"
    right = int(labels[index]) == int(predictions[index])
    return f"{name(predictions[index])}\n(true: {name(labels[index])})", (
        "black" if right else "red"
    )


def plot_history(history: dict[str, Sequence[float]], title: str = "Training") -> Figure:
    """Plot the loss curves and, when present, the accuracy curves of a ``fit`` history."""
    has_accuracy = any(key.endswith("accuracy") for key in history)
    figure, axes = plt.subplots(
        1, 2 if has_accuracy else 1, figsize=(10 if has_accuracy else 5, 3.5), squeeze=False
    )
    for key, values in history.items():
        if not values:
            continue
        axis = axes[0, 1] if key.endswith("accuracy") else axes[0, 0]
        epochs = np.arange(1, len(values) + 1)
        axis.plot(epochs, values, marker="o", label=key.replace("_", " "))
    for axis, ylabel in zip(axes[0], ["loss", "accuracy"], strict=False):
        axis.set_xlabel("epoch")
        axis.set_ylabel(ylabel)
        axis.legend()
        axis.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    plt.show()
    return figure


def plot_confusion_matrix(
    matrix: torch.Tensor, classes: Sequence[str], title: str = "Confusion matrix"
) -> Figure:
    """Draw a confusion matrix (rows: true class, columns: predicted) with its counts."""
    counts = matrix.detach().cpu().numpy()
    figure, axis = plt.subplots(figsize=(0.6 * len(classes) + 2, 0.6 * len(classes) + 1.5))
    axis.imshow(counts, cmap="Blues")
    axis.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    axis.set_yticks(range(len(classes)), classes)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    threshold = counts.max() / 2 if counts.size else 0
    for (row, col), value in np.ndenumerate(counts):
        axis.text(
            col,
            row,
            int(value),
            ha="center",
            va="center",
            fontsize=7,
            color="white" if value > threshold else "black",
        )
    axis.set_title(title)
    figure.tight_layout()
    plt.show()
    return figure
