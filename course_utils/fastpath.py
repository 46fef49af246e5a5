"""The book's fast path: decode a dataset once into tensors, then batch straight from memory.

A DataLoader over PIL images decodes and converts every image on every epoch; for small images
that costs more than the network itself. ``as_tensors`` does it once and ``TensorBatches``
iterates shuffled mini-batches already on the training device. Chapter 05 measures the gain and
builds both by hand; Chapters 07 and 08 train from them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torchvision.transforms.functional import pil_to_tensor

__all__ = ["as_tensors", "TensorBatches"]


def _uint8_images(dataset: Any) -> torch.Tensor:
    """All images of ``dataset`` as one uint8 tensor (N,C,H,W), read without its transform."""
    raw = getattr(dataset, "data", None)
    if raw is not None:
        images = torch.as_tensor(np.asarray(raw))
        if images.ndim == 3:  # (N,H,W) grey, as in MNIST
            return images.unsqueeze(1).contiguous()
        return images.permute(0, 3, 1, 2).contiguous()  # (N,H,W,C) -> (N,C,H,W)
    transform, dataset.transform = dataset.transform, None
    try:
        return torch.stack([pil_to_tensor(dataset[i][0]) for i in range(len(dataset))])
    finally:
        dataset.transform = transform


def as_tensors(
    dataset: Any,
    mean: Sequence[float],
    std: Sequence[float],
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(images, labels)``: float images (N,C,H,W) scaled to [0,1] and normalised with
    ``mean``/``std`` (as ``ToTensor`` + ``Normalize`` would), and int64 labels, on ``device``.

    Decoding reads the dataset's raw ``.data`` array when it has one (fast), else every item.
    """
    images = _uint8_images(dataset)
    labels = torch.as_tensor(np.asarray(dataset.targets), dtype=torch.int64)
    if images.shape[1] != len(mean) or len(mean) != len(std):
        raise ValueError(
            f"images have {images.shape[1]} channels but mean/std have "
            f"{len(mean)}/{len(std)} values"
        )
    images = images.to(device).float().div_(255)
    shape = (1, -1, 1, 1)
    images.sub_(torch.tensor(mean, device=device).view(shape))
    images.div_(torch.tensor(std, device=device).view(shape))
    return images, labels.to(device)


class TensorBatches:
    """Mini-batches ``(x, y)`` from tensors in memory, reshuffled every epoch like a DataLoader.

    ``len()`` is the number of batches; iterate it once per epoch.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle, self.generator = batch_size, shuffle, generator

    def __len__(self) -> int:
        return (len(self.images) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        count = len(self.images)
        if self.shuffle:
            order = torch.randperm(count, generator=self.generator).to(self.images.device)
            for start in range(0, count, self.batch_size):
                index = order[start : start + self.batch_size]
                yield self.images[index], self.labels[index]
        else:
            for start in range(0, count, self.batch_size):
                stop = start + self.batch_size
                yield self.images[start:stop], self.labels[start:stop]
