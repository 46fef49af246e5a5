"""Time one training epoch of the book's two seed networks, fed three ways; print a table.

``make bench`` measures, for the MNIST ConvNet (batch 512, Adam, 60,000 images) and the blitz
CIFAR-10 CNN (batch 4, SGD with momentum, 50,000 images):

(a) pure compute: the images already in memory as normalised tensors, in a fixed order,
    sliced into batches beforehand;
(b) the standard torchvision pipeline: a ``DataLoader`` (shuffled) over the dataset with
    ``ToTensor()`` + ``Normalize``, i.e. a PIL image built and converted for every image, with
    ``num_workers`` 0 and 2 (worker start-up is part of the epoch, as in a real run);
(c) the book's fast path: ``as_tensors`` + ``TensorBatches`` with shuffling.

The blitz net at batch 4 is timed on its first 5,000 images (1,250 steps) and scaled to the
50,000-image epoch (``--blitz-images`` changes it). (a) and (c) are timed ``--repeats`` times,
interleaved, and the fastest run of each is kept: other programs can only slow a run down. The
script exits with status 1 if the fast path costs more than 1.2× the pure compute for either net.
Timings are figures, not tests: this is not part of ``make test``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from reproduce import load_real, machine
from torch import nn
from torch.utils.data import DataLoader, Subset
from torchvision import transforms

from course_utils.data import cifar10, mnist
from course_utils.fastpath import TensorBatches, as_tensors
from course_utils.models import BlitzNet, MnistConvNet
from course_utils.training import train_one_epoch

MAX_FAST_PATH_RATIO = 1.2


@dataclass
class Case:
    name: str
    loader: Callable
    mean: tuple[float, ...]
    std: tuple[float, ...]
    make_model: Callable[[], nn.Module]
    make_optimizer: Callable[[nn.Module], torch.optim.Optimizer]
    loss_fn: Callable
    batch_size: int
    epoch_images: int


CASES = [
    Case(
        "MNIST ConvNet (seed 003), batch 512, Adam",
        mnist,
        (0.1307,),
        (0.3081,),
        MnistConvNet,
        lambda model: torch.optim.Adam(model.parameters()),
        F.nll_loss,
        512,
        60_000,
    ),
    Case(
        "blitz CIFAR-10 CNN (seed 000), batch 4, SGD momentum",
        cifar10,
        (0.5, 0.5, 0.5),
        (0.5, 0.5, 0.5),
        BlitzNet,
        lambda model: torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9),
        F.cross_entropy,
        4,
        50_000,
    ),
]


def time_epoch(case: Case, batches: Iterable, warm_up: tuple[torch.Tensor, torch.Tensor]) -> float:
    """Seconds for one pass of training over ``batches``, from a fresh, warmed-up model."""
    torch.manual_seed(0)
    model = case.make_model()
    optimizer = case.make_optimizer(model)
    train_one_epoch(model, [warm_up] * 2, optimizer, case.loss_fn, progress=False)
    start = time.perf_counter()
    train_one_epoch(model, batches, optimizer, case.loss_fn, progress=False)
    return time.perf_counter() - start


def bench(case: Case, images: int, repeats: int) -> tuple[list[tuple[str, float]], float]:
    """Rows ``(feeding, seconds per full epoch)`` for ``case``, and the fast path's ratio."""
    train_set = case.loader(train=True)
    start = time.perf_counter()
    x, y = as_tensors(train_set, case.mean, case.std)
    decode = time.perf_counter() - start
    n = min(images, len(x))
    x, y = x[:n], y[:n]
    scale = case.epoch_images / n
    warm_up = (x[: case.batch_size], y[: case.batch_size])
    fixed = list(zip(x.split(case.batch_size), y.split(case.batch_size), strict=True))
    generator = torch.Generator().manual_seed(0)
    fast = TensorBatches(x, y, case.batch_size, shuffle=True, generator=generator)
    pure_runs, fast_runs = [], []
    for _ in range(repeats):  # interleaved, so a busy spell hits both alike
        pure_runs.append(time_epoch(case, fixed, warm_up))
        fast_runs.append(time_epoch(case, fast, warm_up))
    pure, fast_seconds = min(pure_runs) * scale, min(fast_runs) * scale
    rows = [("(a) compute only: tensors in memory, fixed order", pure)]
    pipeline = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize(case.mean, case.std)]
    )
    pil_set = Subset(case.loader(train=True, transform=pipeline), range(n))
    for workers in (0, 2):
        loader = DataLoader(
            pil_set,
            case.batch_size,
            shuffle=True,
            num_workers=workers,
            generator=torch.Generator().manual_seed(0),
        )
        label = f"(b) PIL -> ToTensor -> Normalize, DataLoader, {workers} workers"
        rows.append((label, time_epoch(case, loader, warm_up) * scale))
    rows.append(("(c) fast path: as_tensors + TensorBatches, shuffled", fast_seconds))
    rows.append((f"    one-off decode by as_tensors ({len(train_set):,} images)", decode))
    return rows, fast_seconds / pure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of (a) and (c) each")
    parser.add_argument("--mnist-images", type=int, default=60_000)
    parser.add_argument("--blitz-images", type=int, default=5_000)
    args = parser.parse_args(argv)

    if load_real(mnist) is None or load_real(cifar10) is None:
        print(
            "bench: the real MNIST/CIFAR-10 data is not on this machine (no cache, no mirror, "
            "no network); nothing timed."
        )
        return 0
    print(f"bench: {machine()}\n")
    failures = []
    for case, images in zip(CASES, (args.mnist_images, args.blitz_images), strict=True):
        rows, ratio = bench(case, images, args.repeats)
        timed = min(images, case.epoch_images)
        note = (
            "timed in full"
            if timed >= case.epoch_images
            else (f"timed on {timed:,} images and scaled x{case.epoch_images / timed:g}")
        )
        print(f"{case.name}: one epoch of {case.epoch_images:,} images ({note})")
        print(f"  {'feeding':<66}{'s/epoch':>9}{'x (a)':>8}")
        pure = rows[0][1]
        for label, seconds in rows:
            share = f"{seconds / pure:>8.2f}" if label.startswith("(") else ""
            print(f"  {label:<66}{seconds:>9.1f}{share}")
        verdict = "ok" if ratio <= MAX_FAST_PATH_RATIO else "TOO SLOW"
        print(f"  fast path / compute = {ratio:.2f} (limit {MAX_FAST_PATH_RATIO}): {verdict}\n")
        if ratio > MAX_FAST_PATH_RATIO:
            failures.append(f"{case.name}: fast path {ratio:.2f}x the pure compute")
    print(
        f"(a), (c): fastest of {args.repeats} runs; (b): one run each. torch uses "
        f"{torch.get_num_threads()} threads."
    )
    for failure in failures:
        print(f"bench: FAIL {failure} (limit {MAX_FAST_PATH_RATIO}x)", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
