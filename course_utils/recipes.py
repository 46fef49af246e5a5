"""The seeds' two headline recipes, their real data, and the machine they ran on.

``scripts/reproduce.py`` (``make reproduce``) trains both recipes and ``scripts/bench.py``
(``make bench``) times them; both read their settings from here, so a setting is written once:

- :data:`BLITZ`: the PyTorch blitz's CIFAR-10 CNN (seed 000), which Chapter 07 builds by hand;
- :data:`MNIST_CONVNET`: the handbook's MNIST ConvNet (seed 003), which Chapter 08 builds by hand;
- :data:`ROW_LSTM`: Morvan's LSTM reading MNIST row by row (his 402), which Chapter 09 builds.

:func:`load_real` gives a dataset's splits only when they are the real images (the offline
stand-in is refused unless asked for); :func:`machine` is the one line that says where a result
was measured.
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from course_utils.data import cifar10, is_standin, mnist
from course_utils.models import BlitzNet, MnistConvNet, RowReader

__all__ = [
    "Recipe",
    "BLITZ",
    "MNIST_CONVNET",
    "ROW_LSTM",
    "LOSS_WINDOW",
    "NO_REAL_DATA",
    "Splits",
    "load_real",
    "machine",
]

#: The blitz tutorial prints the mean loss of every 2,000 mini-batches (Chapter 07 does too).
LOSS_WINDOW = 2000
#: What the scripts say, before "nothing run", on a machine without the real datasets.
NO_REAL_DATA = (
    "the real MNIST/CIFAR-10 data is not on this machine (no cache, no mirror, no network)"
)


@dataclass(frozen=True)
class Recipe:
    """One seed's training recipe: its data, normalisation, network, optimizer and loss.

    ``loader(train, transform)`` is the book's dataset loader; ``train_images`` the size of the
    seed's training set (one full epoch); ``optimizer`` a short name for tables. ``threshold`` is
    the test accuracy ``make reproduce`` requires (of every CIFAR-10 and LSTM run; of the best
    MNIST ConvNet epoch).
    """

    name: str
    dataset: str
    loader: Callable[..., Any]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    make_model: Callable[[], nn.Module]
    optimizer: str
    make_optimizer: Callable[[nn.Module], torch.optim.Optimizer]
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    batch_size: int
    epochs: int
    train_images: int
    threshold: float


#: The blitz CIFAR-10 CNN (seed 000), built by hand in Chapter 07: images normalised with
#: mean = std = 0.5 per channel, batch 4, SGD lr 0.001 momentum 0.9, cross-entropy, 2 epochs.
BLITZ = Recipe(
    name="blitz CIFAR-10 CNN (seed 000)",
    dataset="CIFAR-10",
    loader=cifar10,
    mean=(0.5, 0.5, 0.5),
    std=(0.5, 0.5, 0.5),
    make_model=BlitzNet,
    optimizer="SGD momentum",
    make_optimizer=lambda model: torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9),
    loss_fn=F.cross_entropy,
    batch_size=4,
    epochs=2,
    train_images=50_000,
    threshold=0.50,
)
#: The handbook's MNIST ConvNet (seed 003), built by hand in Chapter 08: images normalised with
#: mean 0.1307 and std 0.3081, batch 512, Adam lr 0.001, ``nll_loss`` on its log-softmax, 20 epochs.
MNIST_CONVNET = Recipe(
    name="MNIST ConvNet (seed 003)",
    dataset="MNIST",
    loader=mnist,
    mean=(0.1307,),
    std=(0.3081,),
    make_model=MnistConvNet,
    optimizer="Adam",
    make_optimizer=lambda model: torch.optim.Adam(model.parameters()),  # lr 0.001, the default
    loss_fn=F.nll_loss,
    batch_size=512,
    epochs=20,
    train_images=60_000,
    threshold=0.99,
)
#: Morvan's 402 (Chapter 09): ``nn.LSTM(28, 64)`` over the 28 rows of a digit, pixels in [0, 1]
#: (``ToTensor`` only, hence mean 0 and std 1), batch 64, Adam lr 0.01, cross-entropy, 1 epoch.
#: The threshold is on the whole test set; Morvan printed 0.95 on its first 2,000 images.
ROW_LSTM = Recipe(
    name="Morvan's row-by-row LSTM (402)",
    dataset="MNIST",
    loader=mnist,
    mean=(0.0,),
    std=(1.0,),
    make_model=RowReader,
    optimizer="Adam",
    make_optimizer=lambda model: torch.optim.Adam(model.parameters(), lr=0.01),
    loss_fn=F.cross_entropy,
    batch_size=64,
    epochs=1,
    train_images=60_000,
    threshold=0.93,
)


class Splits(NamedTuple):
    """A dataset's training split and its test split (None when it was not asked for)."""

    train: Any
    test: Any | None


def load_real(
    loader: Callable[..., Any], test: bool = True, allow_standin: bool = False
) -> Splits | None:
    """Load a dataset's training split (and its test split when ``test``) once, as Chapter 05 does.

    Returns None, printing nothing, when only the offline stand-in is on this machine, unless
    ``allow_standin`` (smoke tests of the scripts): then the stand-in's splits are returned (check
    them with :func:`course_utils.data.is_standin`). Otherwise the loader's lines are printed.
    """
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        train = loader(train=True)
    if is_standin(train) and not allow_standin:
        return None
    print(chatter.getvalue(), end="")
    return Splits(train, loader(train=False) if test else None)


def machine() -> str:
    """One line: the CPU, its cores and torch's threads (Chapter 05 prints them before timing
    the loaders), and the versions of torch, torchvision and Python."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{cpu}; {os.cpu_count()} logical CPUs, torch uses {torch.get_num_threads()} threads; "
        f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    )
