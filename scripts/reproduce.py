"""Reproduce the seeds' two headline results on the real data; write ``results/RESULTS.md``.

``make reproduce`` runs, with the seeds' own settings (``course_utils.recipes``):

- CIFAR-10, the blitz CNN (seed 000): batch 4, SGD lr 0.001 momentum 0.9, 2 epochs, images
  normalised with (0.5, 0.5, 0.5), once per seed 0, 1, 2. Each run must reach 50 % test accuracy.
- MNIST, the handbook ConvNet (seed 003): Adam with its default learning rate (the seed calls
  ``optim.Adam(model.parameters())``, i.e. lr 0.001), batch 512, 20 epochs. Its best epoch must
  reach 99.00 % test accuracy.

Training reads tensors from memory (``as_tensors`` + ``TensorBatches``, shuffled with a seeded
generator): the same computation as a DataLoader over PIL images, without the per-image decoding.
The script exits with status 1, naming the result, when a threshold is missed (RESULTS.md is still
written, marked FAIL; ``course_utils.report`` renders it). Without the real data (no cache, no
mirror, no network) it prints one line and exits 0 without writing anything, unless
``--allow-standin`` asks it to run everything on the offline stand-ins (a smoke test).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from course_utils.data import is_standin
from course_utils.device import seed_everything
from course_utils.fastpath import TensorBatches, as_tensors
from course_utils.paths import REPO_ROOT
from course_utils.recipes import BLITZ, LOSS_WINDOW, MNIST_CONVNET, NO_REAL_DATA, load_real, machine
from course_utils.report import CifarRun, MnistRun, Results, write_results
from course_utils.training import predict, train_one_epoch

DEFAULT_OUTPUT = REPO_ROOT / "results" / "RESULTS.md"
SEEDS = [0, 1, 2]  # the blitz recipe is run once per seed
TEST_BATCH = 1000  # evaluation only: any size gives the same predictions


class RecordingLoss:
    """The blitz's loss, also keeping every mini-batch's value (as the tutorial's running_loss)."""

    def __init__(self, loss_fn: Callable[[Tensor, Tensor], Tensor]) -> None:
        self.loss_fn = loss_fn
        self.values: list[Tensor] = []

    def __call__(self, logits: Tensor, targets: Tensor) -> Tensor:
        loss = self.loss_fn(logits, targets)
        self.values.append(loss.detach())
        return loss

    def windows(self) -> list[float]:
        """Mean loss of each full window of LOSS_WINDOW mini-batches (the rest is dropped)."""
        count = len(self.values) // LOSS_WINDOW * LOSS_WINDOW
        if count == 0:
            return [float(torch.stack(self.values).mean())]
        return torch.stack(self.values[:count]).view(-1, LOSS_WINDOW).mean(dim=1).tolist()


def in_memory(
    train: Any, test: Any, mean: tuple[float, ...], std: tuple[float, ...], limit: int | None
) -> tuple[Tensor, ...]:
    """Decode both splits once into normalised tensors (training set cut to ``limit`` images)."""
    x, y = as_tensors(train, mean, std)
    x_test, y_test = as_tensors(test, mean, std)
    return x[:limit], y[:limit], x_test, y_test


def run_cifar(
    x: Tensor, y: Tensor, x_test: Tensor, y_test: Tensor, seed: int, epochs: int
) -> CifarRun:
    """Train the blitz recipe once from ``seed``; print each epoch's loss windows and the result."""
    generator = seed_everything(seed)
    model = BLITZ.make_model()
    optimizer = BLITZ.make_optimizer(model)
    batches = TensorBatches(x, y, batch_size=BLITZ.batch_size, shuffle=True, generator=generator)
    first_window = last_window = float("nan")
    seconds = []
    for epoch in range(1, epochs + 1):
        loss_fn = RecordingLoss(BLITZ.loss_fn)  # the tutorial resets running_loss every epoch
        start = time.perf_counter()
        train_one_epoch(model, batches, optimizer, loss_fn, progress=False)
        seconds.append(time.perf_counter() - start)
        windows = loss_fn.windows()
        if epoch == 1:
            first_window = windows[0]
        last_window = windows[-1]
        print(
            f"  CIFAR-10 seed {seed} epoch {epoch}: {seconds[-1]:.1f} s, loss per "
            f"{LOSS_WINDOW} mini-batches {' '.join(f'{w:.3f}' for w in windows)}"
        )
    _, predicted, targets = predict(model, TensorBatches(x_test, y_test, batch_size=TEST_BATCH))
    correct = int((predicted == targets).sum())
    run = CifarRun(
        seed,
        correct / len(targets),
        correct,
        len(targets),
        first_window,
        last_window,
        seconds,
        len(y),
    )
    print(f"  CIFAR-10 seed {seed}: test accuracy {run.accuracy:.2%} ({correct}/{run.total})")
    return run


def run_mnist(x: Tensor, y: Tensor, x_test: Tensor, y_test: Tensor, epochs: int) -> MnistRun:
    """Train the MNIST ConvNet recipe (seed 0), testing after every epoch; print each epoch."""
    generator = seed_everything(0)
    model = MNIST_CONVNET.make_model()
    optimizer = MNIST_CONVNET.make_optimizer(model)
    batches = TensorBatches(
        x, y, batch_size=MNIST_CONVNET.batch_size, shuffle=True, generator=generator
    )
    test_batches = TensorBatches(x_test, y_test, batch_size=TEST_BATCH)
    run = MnistRun(total=len(y_test), train_images=len(y))
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        train_one_epoch(model, batches, optimizer, MNIST_CONVNET.loss_fn, progress=False)
        run.epoch_seconds.append(time.perf_counter() - start)
        log_probs, predicted, targets = predict(model, test_batches)
        run.test_loss.append(float(MNIST_CONVNET.loss_fn(log_probs, targets)))
        run.correct.append(int((predicted == targets).sum()))
        print(
            f"  MNIST epoch {epoch:>2}: test loss {run.test_loss[-1]:.4f}, accuracy "
            f"{run.accuracy(epoch):.2%} ({run.correct[-1]}/{run.total}), "
            f"{run.epoch_seconds[-1]:.1f} s"
        )
    return run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", type=Path, default=None, help=f"where to write (default: {DEFAULT_OUTPUT})"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=SEEDS)
    parser.add_argument("--cifar-epochs", type=int, default=BLITZ.epochs)
    parser.add_argument("--mnist-epochs", type=int, default=MNIST_CONVNET.epochs)
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="train on the first N images only (smoke tests; fails the checks)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: torch's own choice, one per core)",
    )
    parser.add_argument(
        "--allow-standin",
        action="store_true",
        help="where the real data is missing, run on the offline stand-ins instead: a smoke test "
        "of this script (its numbers are not the seeds'; it needs --output; make never uses it)",
    )
    args = parser.parse_args(argv)
    if args.allow_standin and args.output is None:
        parser.error(f"--allow-standin needs --output, so that {DEFAULT_OUTPUT} keeps real numbers")
    args.output = args.output or DEFAULT_OUTPUT
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    start = time.perf_counter()
    cifar_data = load_real(BLITZ.loader, allow_standin=args.allow_standin)
    mnist_data = load_real(MNIST_CONVNET.loader, allow_standin=args.allow_standin)
    if cifar_data is None or mnist_data is None:
        print(f"reproduce: {NO_REAL_DATA}; nothing run, RESULTS.md not written.")
        return 0
    standins = [
        recipe.dataset
        for recipe, data in ((BLITZ, cifar_data), (MNIST_CONVNET, mnist_data))
        if is_standin(data.train)
    ]
    if standins:
        print(f"reproduce: OFFLINE STAND-INS for {' and '.join(standins)} (--allow-standin)")
    print(f"reproduce: {machine()}")
    cifar_tensors = in_memory(*cifar_data, BLITZ.mean, BLITZ.std, args.limit)
    cifar_runs = [run_cifar(*cifar_tensors, seed, args.cifar_epochs) for seed in args.seeds]
    del cifar_tensors
    mnist_tensors = in_memory(*mnist_data, MNIST_CONVNET.mean, MNIST_CONVNET.std, args.limit)
    mnist_run = run_mnist(*mnist_tensors, args.mnist_epochs)

    seconds = time.perf_counter() - start
    now = datetime.datetime.now(datetime.UTC)
    results = Results(cifar_runs, mnist_run, seconds, machine(), now, standins)
    write_results(args.output, results)
    print(f"reproduce: wrote {args.output} ({seconds / 60:.1f} min)")
    failures = results.failures()
    for failure in failures:
        print(f"reproduce: FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
