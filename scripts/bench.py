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
Timings are figures, not tests: this is not part of ``make test``. The recipes' settings are
``course_utils.recipes``; each training set is loaded once. Without the real data it prints one
line and exits 0, unless ``--allow-standin`` asks it to time the offline stand-ins (a smoke test).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch.utils.data import DataLoader, Subset
from torchvision import transforms

from course_utils.data import is_standin
from course_utils.fastpath import TensorBatches, as_tensors
from course_utils.recipes import BLITZ, MNIST_CONVNET, NO_REAL_DATA, Recipe, load_real, machine
from course_utils.training import train_one_epoch

MAX_FAST_PATH_RATIO = 1.2
CASES = [MNIST_CONVNET, BLITZ]  # timed in this order


def label(recipe: Recipe) -> str:
    """The case's heading, e.g. "MNIST ConvNet (seed 003), batch 512, Adam"."""
    return f"{recipe.name}, batch {recipe.batch_size}, {recipe.optimizer}"


def with_transform(dataset: Any, transform: Callable) -> Any:
    """A shallow copy of ``dataset`` serving its images through ``transform`` (nothing reloaded)."""
    clone = copy.copy(dataset)
    clone.transform = transform
    return clone


def time_epoch(
    recipe: Recipe, batches: Iterable, warm_up: tuple[torch.Tensor, torch.Tensor]
) -> float:
    """Seconds for one pass of training over ``batches``, from a fresh, warmed-up model."""
    torch.manual_seed(0)
    model = recipe.make_model()
    optimizer = recipe.make_optimizer(model)
    train_one_epoch(model, [warm_up] * 2, optimizer, recipe.loss_fn, progress=False)
    start = time.perf_counter()
    train_one_epoch(model, batches, optimizer, recipe.loss_fn, progress=False)
    return time.perf_counter() - start


def bench(
    recipe: Recipe, train_set: Any, images: int, repeats: int
) -> tuple[list[tuple[str, float]], float, int]:
    """Rows ``(feeding, seconds per full epoch)`` for ``recipe`` timed on the first ``images`` of
    ``train_set``, the fast path's ratio to the pure compute, and the number of images timed."""
    start = time.perf_counter()
    x, y = as_tensors(train_set, recipe.mean, recipe.std)
    decode = time.perf_counter() - start
    n = min(images, len(x))
    x, y = x[:n], y[:n]
    scale = recipe.train_images / n
    warm_up = (x[: recipe.batch_size], y[: recipe.batch_size])
    fixed = list(zip(x.split(recipe.batch_size), y.split(recipe.batch_size), strict=True))
    generator = torch.Generator().manual_seed(0)
    fast = TensorBatches(x, y, recipe.batch_size, shuffle=True, generator=generator)
    pure_runs, fast_runs = [], []
    for _ in range(repeats):  # interleaved, so a busy spell hits both alike
        pure_runs.append(time_epoch(recipe, fixed, warm_up))
        fast_runs.append(time_epoch(recipe, fast, warm_up))
    pure, fast_seconds = min(pure_runs) * scale, min(fast_runs) * scale
    rows = [("(a) compute only: tensors in memory, fixed order", pure)]
    pipeline = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize(recipe.mean, recipe.std)]
    )
    pil_set = Subset(with_transform(train_set, pipeline), range(n))
    for workers in (0, 2):
        loader = DataLoader(
            pil_set,
            recipe.batch_size,
            shuffle=True,
            num_workers=workers,
            generator=torch.Generator().manual_seed(0),
        )
        feeding = f"(b) PIL -> ToTensor -> Normalize, DataLoader, {workers} workers"
        rows.append((feeding, time_epoch(recipe, loader, warm_up) * scale))
    rows.append(("(c) fast path: as_tensors + TensorBatches, shuffled", fast_seconds))
    rows.append((f"    one-off decode by as_tensors ({len(train_set):,} images)", decode))
    return rows, fast_seconds / pure, n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of (a) and (c) each")
    parser.add_argument("--mnist-images", type=int, default=MNIST_CONVNET.train_images)
    parser.add_argument("--blitz-images", type=int, default=5_000)
    parser.add_argument(
        "--allow-standin",
        action="store_true",
        help="where the real data is missing, time the offline stand-ins instead: a smoke test "
        "of this script (the timings are not the book's; make never uses it)",
    )
    args = parser.parse_args(argv)

    train_sets = []
    for recipe in CASES:  # each training set is loaded once; the test sets are not needed
        splits = load_real(recipe.loader, test=False, allow_standin=args.allow_standin)
        if splits is None:
            print(f"bench: {NO_REAL_DATA}; nothing timed.")
            return 0
        train_sets.append(splits.train)
    standins = [r.dataset for r, data in zip(CASES, train_sets, strict=True) if is_standin(data)]
    if standins:
        print(f"bench: OFFLINE STAND-INS for {' and '.join(standins)} (--allow-standin)")
    print(f"bench: {machine()}\n")
    failures = []
    sizes = (args.mnist_images, args.blitz_images)  # CASES' order
    for recipe, train_set, images in zip(CASES, train_sets, sizes, strict=True):
        rows, ratio, timed = bench(recipe, train_set, images, args.repeats)
        note = (
            "timed in full"
            if timed >= recipe.train_images
            else (f"timed on {timed:,} images and scaled x{recipe.train_images / timed:g}")
        )
        print(f"{label(recipe)}: one epoch of {recipe.train_images:,} images ({note})")
        print(f"  {'feeding':<66}{'s/epoch':>9}{'x (a)':>8}")
        pure = rows[0][1]
        for feeding, seconds in rows:
            share = f"{seconds / pure:>8.2f}" if feeding.startswith("(") else ""
            print(f"  {feeding:<66}{seconds:>9.1f}{share}")
        verdict = "ok" if ratio <= MAX_FAST_PATH_RATIO else "TOO SLOW"
        print(f"  fast path / compute = {ratio:.2f} (limit {MAX_FAST_PATH_RATIO}): {verdict}\n")
        if ratio > MAX_FAST_PATH_RATIO:
            failures.append(f"{label(recipe)}: fast path {ratio:.2f}x the pure compute")
    print(
        f"(a), (c): fastest of {args.repeats} runs; (b): one run each. torch uses "
        f"{torch.get_num_threads()} threads."
    )
    for failure in failures:
        print(f"bench: FAIL {failure} (limit {MAX_FAST_PATH_RATIO}x)", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
