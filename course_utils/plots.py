"""The book's three recurring pictures: an image grid, training curves, a confusion matrix.

Convention: each helper draws one new figure, calls ``plt.show()`` and returns ``None``, so a
notebook cell reads ``show_images(images, labels)`` and the picture appears once, below it. To
change or save the figure in a script, take it from pyplot afterwards: ``plt.gcf()`` (with the
inline notebook backend ``plt.show()`` has already closed it; in a script it stays open).

Each helper replaces code a chapter first writes by hand: the image grid (``show_images``,
first used in Chapters 00 and 05; ``unnormalize`` is Chapter 05's exercise), the loss and accuracy
curves (``plot_history``, drawn with ``plt.plot`` in Chapter 04), the confusion matrix
(``plot_confusion_matrix``, Chapter 07).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

__all__ = ["unnormalize", "show_images", "plot_history", "plot_confusion_matrix"]

ImageInput = torch.Tensor | np.ndarray | Sequence[torch.Tensor] | Sequence[np.ndarray]
Labels = Sequence[int] | torch.Tensor | np.ndarray

_ACCEPTED = (
    "a batch (N,C,H,W) or channels-last (N,H,W,C) with C = 1 (grey) or 3 (RGB), "
    "or a grey batch (N,H,W); a tensor, a NumPy array, or a list of equal-shaped images "
    "(C,H,W), (H,W,C) or (H,W). For one image use [image]"
)


def unnormalize(images: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """Undo ``transforms.Normalize(mean, std)`` on a batch (N,C,H,W) or one image (C,H,W).

    Chapter 05's exercise does this by hand: ``x * std + mean``, channel by channel.
    """
    shape = (-1, 1, 1)
    mean_t = torch.as_tensor(mean, dtype=images.dtype, device=images.device).view(shape)
    std_t = torch.as_tensor(std, dtype=images.dtype, device=images.device).view(shape)
    return images * std_t + mean_t


def _as_batch(images: ImageInput) -> torch.Tensor:
    """``images`` as a float CPU tensor (N,C,H,W) with C in (1, 3); uint8 pixels scaled to 0–1."""
    if isinstance(images, torch.Tensor):
        batch = images.detach().cpu()
    elif isinstance(images, np.ndarray):
        batch = torch.from_numpy(np.ascontiguousarray(images))
    else:
        items = [
            item.detach().cpu()
            if isinstance(item, torch.Tensor)
            else torch.from_numpy(np.ascontiguousarray(np.asarray(item)))
            for item in images
        ]
        if not items:
            raise ValueError(f"no images to show; show_images takes {_ACCEPTED}")
        shapes = {tuple(item.shape) for item in items}
        if len(shapes) > 1:
            raise ValueError(
                f"the images in the list have different shapes {sorted(shapes)}; "
                f"show_images takes {_ACCEPTED}"
            )
        batch = torch.stack(items)
    shape = tuple(batch.shape)
    if batch.ndim == 3 and shape[2] in (1, 3) and shape[1] > 3:
        raise ValueError(
            f"images shaped {shape} look like one channels-last image (H,W,C), not a grey batch "
            f"(N,H,W): pass [image]; show_images takes {_ACCEPTED}"
        )
    if batch.ndim == 3:  # (N,H,W): a grey batch
        batch = batch.unsqueeze(1)
    elif batch.ndim == 4 and batch.shape[1] not in (1, 3) and batch.shape[3] in (1, 3):
        batch = batch.permute(0, 3, 1, 2)  # (N,H,W,C) -> (N,C,H,W)
    if batch.ndim != 4 or batch.shape[1] not in (1, 3):
        raise ValueError(f"show_images cannot draw images shaped {shape}; it takes {_ACCEPTED}")
    if len(batch) == 0:
        raise ValueError(f"no images to show (shape {shape}); show_images takes {_ACCEPTED}")
    if batch.dtype == torch.uint8:
        return batch.float() / 255  # pixels 0-255, as decoded from a file
    return batch.float()


def show_images(
    images: ImageInput,
    labels: Labels | None = None,
    classes: Sequence[str] | None = None,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    ncols: int = 8,
    predictions: Labels | None = None,
) -> None:
    """Draw images in a grid, titled with their labels (and predictions, red if wrong); show it.

    ``images`` is a batch (N,C,H,W), channels-last (N,H,W,C) with C = 1 or 3, or a grey batch
    (N,H,W): a tensor, a NumPy array or a list of images. Floats are pixels in 0–1 (clipped);
    ``uint8`` pixels 0–255 are scaled by 1/255. Pass the ``mean``/``std`` used by ``Normalize``
    to show the original pixels. Used from Chapter 00 on; Chapter 05 explains the shapes.
    """
    batch = _as_batch(images)
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


def plot_history(history: dict[str, Sequence[float]], title: str = "Training") -> None:
    """Plot the loss curves and, when present, the accuracy curves of a ``fit`` history; show it.

    Chapter 04 draws the same curves by hand with ``plt.plot``.
    """
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


def plot_confusion_matrix(
    matrix: torch.Tensor | np.ndarray,
    classes: Sequence[str],
    title: str = "Confusion matrix",
) -> None:
    """Draw a confusion matrix (rows: true class, columns: predicted) with its counts; show it.

    ``matrix`` is a square tensor or NumPy array with one row and one column per name in
    ``classes``. Chapter 07 builds the matrix and reads it row by row.
    """
    counts = (
        matrix.detach().cpu().numpy() if isinstance(matrix, torch.Tensor) else np.asarray(matrix)
    )
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(
            f"a confusion matrix is square, one row and one column per class; got shape "
            f"{counts.shape} for {len(classes)} class names"
        )
    if counts.shape[0] != len(classes):
        raise ValueError(
            f"the confusion matrix is {counts.shape[0]}×{counts.shape[1]} but {len(classes)} "
            f"class names were given ({list(classes)!r}); pass one name per row"
        )
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
