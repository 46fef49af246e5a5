"""``results/RESULTS.md``: the recipes' results beside the seeds' own numbers, and the checks.

``scripts/reproduce.py`` (``make reproduce``) trains and fills a :class:`Results`; this module
only judges and renders it, so the Markdown can be tested on hand-made runs. The recipes are
:mod:`course_utils.recipes` (the blitz CIFAR-10 CNN of Chapter 07, the MNIST ConvNet of
Chapter 08); the numbers the seeds printed are below.
"""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.recipes import BLITZ, LOSS_WINDOW, MNIST_CONVNET

__all__ = [
    "CifarRun",
    "MnistRun",
    "Results",
    "pct",
    "render_results",
    "write_results",
]

# The study notes' own numbers.
SEED000_ACCURACY, TUTORIAL_ACCURACY = 55, 54  # printed with %d
SEED000_LOSS_FIRST, SEED000_LOSS_LAST = 2.226, 1.294  # [1, 2000] and [2, 12000]
# Seed 003's test results after epochs 1..20: correct answers out of 10,000, and "Average loss".
SEED003_PRINTED = """
9695 9825 9866 9859 9885 9881 9895 9886 9909 9902 9905 9902 9906 9896 9909 9905 9922 9914 9901 9899
.1018 .0523 .0408 .0433 .0339 .0348 .0346 .0323 .0294 .0361 .0309 .0318 .0358 .0376 .0346 .0357
.0322 .0389 .0383 .0393
"""
_numbers = SEED003_PRINTED.split()
SEED003_CORRECT = [int(n) for n in _numbers[:20]]
SEED003_LOSS = [float(n) for n in _numbers[20:]]


@dataclass
class CifarRun:
    """One seeded run of the blitz recipe (Chapter 07): its test result and its loss windows."""

    seed: int
    accuracy: float
    correct: int
    total: int
    first_window_loss: float
    last_window_loss: float
    epoch_seconds: list[float]
    train_images: int


@dataclass
class MnistRun:
    """The MNIST ConvNet recipe's run (Chapter 08): test loss and correct answers per epoch."""

    test_loss: list[float] = field(default_factory=list)
    correct: list[int] = field(default_factory=list)
    total: int = 0
    train_images: int = 0
    epoch_seconds: list[float] = field(default_factory=list)

    def accuracy(self, epoch: int) -> float:
        """Test accuracy after ``epoch`` (counted from 1)."""
        return self.correct[epoch - 1] / self.total

    def first_at(self, threshold: float) -> int | None:
        """The first epoch whose accuracy reaches ``threshold``, or None."""
        hits = [e for e in range(1, len(self.correct) + 1) if self.accuracy(e) >= threshold]
        return hits[0] if hits else None

    def best(self) -> int:
        """The epoch with the most correct answers (the earliest, on a tie)."""
        return max(range(1, len(self.correct) + 1), key=lambda e: (self.correct[e - 1], -e))


@dataclass
class Results:
    """Everything RESULTS.md reports: the runs, the total time, the machine line and the date.

    ``standins`` names the datasets that were the offline stand-ins (``--allow-standin`` smoke
    runs only; empty for ``make reproduce``).
    """

    cifar: list[CifarRun]
    mnist: MnistRun
    seconds: float
    machine: str
    date: datetime.datetime
    standins: Sequence[str] = ()

    def failures(self) -> list[str]:
        """One line per missed threshold: each CIFAR-10 run, and the best MNIST epoch."""
        failures = [
            f"CIFAR-10 seed {r.seed}: {pct(r.accuracy)} < {pct(BLITZ.threshold)}"
            for r in self.cifar
            if r.accuracy < BLITZ.threshold
        ]
        best = self.mnist.best()
        if self.mnist.accuracy(best) < MNIST_CONVNET.threshold:
            failures.append(
                f"MNIST best epoch {best}: {pct(self.mnist.accuracy(best))} < "
                f"{pct(MNIST_CONVNET.threshold)}"
            )
        return failures


def pct(value: float) -> str:
    """A fraction as a percentage with two decimals: ``0.5496`` -> ``"54.96 %"``."""
    return f"{100 * value:.2f} %"


def _cifar_section(runs: list[CifarRun]) -> list[str]:
    accuracies = [100 * r.accuracy for r in runs]
    mean = statistics.mean(accuracies)
    sd = statistics.stdev(accuracies) if len(runs) > 1 else 0.0
    per_epoch = [s for r in runs for s in r.epoch_seconds]
    window = f"{LOSS_WINDOW:,}"
    lines = [
        "## CIFAR-10: the blitz CNN (seed 000)",
        "",
        f"`BlitzNet()` (6/16 channels), batch {BLITZ.batch_size}, SGD lr 0.001 momentum 0.9, "
        f"{len(runs[0].epoch_seconds)} epochs on {runs[0].train_images:,} training images "
        f"normalised with mean = std = {BLITZ.mean}; accuracy on the {runs[0].total:,} test "
        f"images. Loss: the mean cross-entropy of the first {window} mini-batches of epoch 1 and "
        f"of the last full {window} of the final epoch, as the tutorial prints it.",
        "",
        f"| run | test accuracy | correct | loss, first {window} | loss, last {window} | "
        "s / epoch |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| seed {r.seed} | {pct(r.accuracy)} | {r.correct}/{r.total} | "
            f"{r.first_window_loss:.3f} | {r.last_window_loss:.3f} | "
            f"{statistics.mean(r.epoch_seconds):.1f} |"
        )
    first = statistics.mean(r.first_window_loss for r in runs)
    last = statistics.mean(r.last_window_loss for r in runs)
    lines += [
        f"| **mean ± sd** | **{mean:.2f} ± {sd:.2f} %** | | {first:.3f} | {last:.3f} | "
        f"{statistics.mean(per_epoch):.1f} |",
        f"| seed 000 (study notes) | {SEED000_ACCURACY} % | | {SEED000_LOSS_FIRST} | "
        f"{SEED000_LOSS_LAST} | |",
        f"| official tutorial page | {TUTORIAL_ACCURACY} % | | | | |",
        "",
        f"sd is the sample standard deviation over the {len(runs)} seeds. The notes print the "
        "accuracy with `%d` (truncated to a whole percent) from one unseeded run.",
        "",
    ]
    return lines


def _seed003_cells(epoch: int) -> str:
    """Seed 003's three cells for ``epoch``: correct (and %), loss, and what it printed."""
    if epoch > len(SEED003_CORRECT):
        return " | | "
    correct = SEED003_CORRECT[epoch - 1]
    loss = SEED003_LOSS[epoch - 1]
    return f"{correct} ({correct / 100:.2f} %) | {loss:.4f} | {correct / 100:.0f} %"


def _mnist_section(run: MnistRun) -> list[str]:
    epochs = len(run.correct)
    (mean,), (std,) = MNIST_CONVNET.mean, MNIST_CONVNET.std
    lines = [
        "## MNIST: the handbook ConvNet (seed 003)",
        "",
        f"`MnistConvNet()`, Adam (lr 0.001, the default the seed uses), batch "
        f"{MNIST_CONVNET.batch_size}, {epochs} epochs on {run.train_images:,} training images "
        f"normalised with mean {mean}, std {std}; accuracy on the {run.total:,} test images "
        "after each epoch.",
        "",
        "| epoch | test loss | accuracy | correct | s | seed 003: correct | seed 003: loss | "
        "seed 003 printed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in range(1, epochs + 1):
        lines.append(
            f"| {e} | {run.test_loss[e - 1]:.4f} | {pct(run.accuracy(e))} | "
            f"{run.correct[e - 1]}/{run.total} | {run.epoch_seconds[e - 1]:.1f} | "
            f"{_seed003_cells(e)} |"
        )
    first, best = run.first_at(MNIST_CONVNET.threshold), run.best()
    seed_first = next(
        i for i, c in enumerate(SEED003_CORRECT) if c / 10_000 >= MNIST_CONVNET.threshold
    )
    seed_best = max(range(len(SEED003_CORRECT)), key=lambda i: SEED003_CORRECT[i])
    lines += [
        "",
        f"- First epoch at or above {pct(MNIST_CONVNET.threshold)}: "
        f"**{first if first else 'none'}** (seed 003: epoch {seed_first + 1}, "
        f"{SEED003_CORRECT[seed_first]}/10000).",
        f"- Best epoch: **{best}, {pct(run.accuracy(best))}** "
        f"(seed 003: epoch {seed_best + 1}, {SEED003_CORRECT[seed_best] / 100:.2f} %).",
        f"- Last epoch: {pct(run.accuracy(epochs))} (seed 003: {SEED003_CORRECT[-1] / 100:.2f} %).",
        "- The seed's \"97 % after epoch 1, 99 % from epoch 3\" is its `{:.0f}` format: epoch 3's "
        "9866/10000 = 98.66 % prints as 99 %.",
        "",
    ]
    return lines


def _data_line(standins: Sequence[str]) -> str:
    fed = (
        "held in memory as tensors (`as_tensors` + `TensorBatches`, shuffled with a seeded "
        "generator)."
    )
    if not standins:
        return f"- Data: the real MNIST and CIFAR-10, {fed}"
    return (
        f"- Data: the OFFLINE STAND-INS for {' and '.join(standins)} (`--allow-standin`: a smoke "
        f"test of the script, not the seeds' results), {fed}"
    )


def render_results(results: Results) -> str:
    """RESULTS.md's text: the header (date, machine, time, data, checks), then both tables."""
    failures = results.failures()
    checks = "PASS" if not failures else "FAIL: " + "; ".join(failures)
    mnist_total = sum(results.mnist.epoch_seconds)
    cifar_total = sum(s for r in results.cifar for s in r.epoch_seconds)
    lines = [
        "# Results: the seeds' recipes on the real data",
        "",
        "Written by `make reproduce` (`scripts/reproduce.py`); do not edit by hand.",
        "",
        f"- Date: {results.date:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {results.machine}",
        f"- Time: {results.seconds / 60:.1f} min in total; training {cifar_total:.0f} s for "
        f"CIFAR-10 ({len(results.cifar)} runs), {mnist_total:.0f} s for MNIST. Timings vary "
        "±20–30 % from run to run on a shared machine.",
        _data_line(results.standins),
        f"- Checks: {checks} (each CIFAR-10 run ≥ {100 * BLITZ.threshold:g} %, the best MNIST "
        f"epoch ≥ {pct(MNIST_CONVNET.threshold)}).",
        "",
        *_cifar_section(results.cifar),
        *_mnist_section(results.mnist),
    ]
    return "\n".join(lines) + "\n"


def write_results(path: Path, results: Results) -> None:
    """Write :func:`render_results` to ``path``, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_results(results))
