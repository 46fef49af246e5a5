"""The two seed networks the book trains on real data, shared by chapters and scripts.

- :class:`BlitzNet` is the CIFAR-10 CNN of the official "60-minute blitz" (seed 000), written out
  by hand in Chapter 07, with the channel counts as arguments so the chapter's exercise can
  widen it.
- :class:`MnistConvNet` is the handbook's MNIST ConvNet (seed 003), written out by hand in
  Chapter 08, layer for layer.
- :class:`RowReader` is Morvan's recurrent classifier (his 402), written out in Chapter 09: it
  reads a digit row by row, 28 steps of 28 pixels, with an ``nn.LSTM`` or an ``nn.RNN``.

Both keep the seeds' attribute names (``conv1``, ``fc1``, ...), so a ``state_dict`` saved from the
network a chapter writes out in full loads into these classes and back. Both check the shape of
their input first and raise a ``ValueError`` that says the shape expected, the shape got, and the
fix (e.g. ``x.unsqueeze(0)`` for one image without its batch dimension).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["BlitzNet", "MnistConvNet", "RowReader", "count_parameters"]


def _check_image_batch(x: torch.Tensor, channels: int, size: int, network: str, data: str) -> None:
    """Raise a ``ValueError`` unless ``x`` is shaped ``(N, channels, size, size)``.

    The message says the shape expected, the shape got, and how to fix the common mistakes: one
    image without its batch dimension, a grey batch without its channel dimension, channels last,
    the wrong number of channels, the wrong image size. A shape check only: nothing is copied.
    """
    shape = tuple(x.shape)
    if len(shape) == 4 and shape[1] == channels and shape[2:] == (size, size):
        return
    image = (channels, size, size)
    expected = f"{channels} channel" + ("s (RGB)" if channels == 3 else " (grey)")
    if shape == image:
        fix = "this is one image without its batch dimension: add one with `x.unsqueeze(0)`"
    elif len(shape) == 3 and shape[1:] == (size, size):
        fix = (
            "this is a batch of images without a channel dimension: add one with `x.unsqueeze(1)`"
            if channels == 1
            else f"this batch has no channel dimension, but {data} images have {expected}"
        )
    elif shape == (size, size) and channels == 1:
        fix = "this is one image without batch or channel dimension: use `x.view(1, 1, *x.shape)`"
    elif len(shape) == 4 and shape[3] == channels and shape[1:3] == (size, size):
        fix = "the channels come last (N,H,W,C): move them with `x.permute(0, 3, 1, 2)`"
    elif len(shape) == 4 and shape[1] != channels:
        fix = f"{data} images have {expected}, these have {shape[1]}"
    elif len(shape) == 4:
        fix = (
            f"{data} images are {size}×{size} pixels, these are {shape[2]}×{shape[3]}: "
            f"resize them (e.g. `transforms.Resize(({size}, {size}))`)"
        )
    else:
        fix = f"a batch of images has 4 dimensions, this tensor has {len(shape)}"
    raise ValueError(
        f"{network} expects a batch of {data} images shaped (N, {channels}, {size}, {size}), "
        f"got {shape}; {fix}"
    )


class BlitzNet(nn.Module):
    """The blitz tutorial's CIFAR-10 CNN: two 5×5 convolutions with pooling, three linear layers.

    Chapter 07 writes this network out by hand and checks it equals this class. ``conv1_channels``
    and ``conv2_channels`` default to the tutorial's 6 and 16; larger values give the widened
    variants (e.g. 64/128) that Chapter 07 times; every variant takes the same input
    ``(N, 3, 32, 32)``. The output is 10 logits (no softmax: ``nn.CrossEntropyLoss`` applies
    ``log_softmax`` itself).
    """

    def __init__(self, conv1_channels: int = 6, conv2_channels: int = 16) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, conv1_channels, 5)  # (N,3,32,32) -> (N,c1,28,28)
        self.pool = nn.MaxPool2d(2, 2)  # halves height and width: 28 -> 14, 10 -> 5
        self.conv2 = nn.Conv2d(conv1_channels, conv2_channels, 5)  # (N,c1,14,14) -> (N,c2,10,10)
        self.fc1 = nn.Linear(conv2_channels * 5 * 5, 120)  # (N,c2*5*5) -> (N,120)
        self.fc2 = nn.Linear(120, 84)  # (N,120) -> (N,84)
        self.fc3 = nn.Linear(84, 10)  # (N,84) -> (N,10): one logit per class

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch of images ``(N, 3, 32, 32)`` to logits ``(N, 10)``."""
        _check_image_batch(x, channels=3, size=32, network="BlitzNet", data="CIFAR-10")
        x = self.pool(F.relu(self.conv1(x)))  # (N,3,32,32) -> (N,c1,28,28) -> (N,c1,14,14)
        x = self.pool(F.relu(self.conv2(x)))  # (N,c1,14,14) -> (N,c2,10,10) -> (N,c2,5,5)
        x = torch.flatten(x, 1)  # (N,c2,5,5) -> (N,c2*5*5); keeps the batch dimension
        x = F.relu(self.fc1(x))  # (N,c2*5*5) -> (N,120)
        x = F.relu(self.fc2(x))  # (N,120) -> (N,84)
        return self.fc3(x)  # (N,84) -> (N,10)


class MnistConvNet(nn.Module):
    """Seed 003's MNIST ConvNet: conv 1→10 (5×5), pool, conv 10→20 (3×3), linear 2000→500→10.

    Chapter 08 writes this network out by hand and loads its weights into this class. As in the
    seed, the output is ``log_softmax`` over the 10 digits, so the matching loss is ``F.nll_loss``
    (together they are the cross-entropy). About one million parameters, almost all in ``fc1``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)  # (N,1,28,28) -> (N,10,24,24)
        self.conv2 = nn.Conv2d(10, 20, 3)  # (N,10,12,12) -> (N,20,10,10)
        self.fc1 = nn.Linear(20 * 10 * 10, 500)  # (N,2000) -> (N,500)
        self.fc2 = nn.Linear(500, 10)  # (N,500) -> (N,10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch of digits ``(N, 1, 28, 28)`` to log-probabilities ``(N, 10)``."""
        _check_image_batch(x, channels=1, size=28, network="MnistConvNet", data="MNIST")
        x = F.relu(self.conv1(x))  # (N,1,28,28) -> (N,10,24,24)
        x = F.max_pool2d(x, 2, 2)  # (N,10,24,24) -> (N,10,12,12)
        x = F.relu(self.conv2(x))  # (N,10,12,12) -> (N,20,10,10)
        x = torch.flatten(x, 1)  # (N,20,10,10) -> (N,2000)
        x = F.relu(self.fc1(x))  # (N,2000) -> (N,500)
        x = self.fc2(x)  # (N,500) -> (N,10)
        return F.log_softmax(x, dim=1)  # (N,10): log-probabilities, each row sums to 1 after exp


class RowReader(nn.Module):
    """A recurrent layer reads the 28 rows of a digit; a linear layer classifies the last state.

    ``kind`` is ``nn.LSTM`` (Morvan's 402) or ``nn.RNN``, which take the same arguments; the input
    is ``(N, 28, 28)``, pixels in [0, 1], one row per time step; the output is 10 logits.
    """

    def __init__(self, kind: type[nn.RNNBase] = nn.LSTM, hidden: int = 64) -> None:
        super().__init__()
        self.rnn = kind(28, hidden, batch_first=True)  # (N,28,28) -> (N,28,hidden)
        self.out = nn.Linear(hidden, 10)  # (N,hidden) -> (N,10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map digits ``(N, 28 rows, 28 pixels)`` to logits ``(N, 10)``."""
        if x.ndim == 4 and x.shape[1] == 1 and x.shape[2:] == (28, 28):
            raise ValueError(
                f"RowReader expects digits shaped (N, 28, 28), got {tuple(x.shape)}; "
                "drop the channel dimension with `x.squeeze(1)`"
            )
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(
                f"RowReader expects digits shaped (N, 28, 28): 28 rows of 28 pixels, "
                f"got {tuple(x.shape)}"
            )
        output, _ = self.rnn(x)  # (N,28,hidden): the hidden state after every row
        return self.out(output[:, -1])  # (N,hidden) after the last row -> (N,10)


def count_parameters(model: nn.Module) -> int:
    """Return the number of trainable parameters of ``model`` (summed by hand in Chapter 03)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
