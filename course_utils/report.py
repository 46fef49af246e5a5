"""``results/RESULTS.md``: the recipes' results beside the seeds' and Morvan's numbers, and checks.

``scripts/reproduce.py`` (``make reproduce``) trains and fills a :class:`Results`; this module
only judges and renders it, so the Markdown can be tested on hand-made runs. The recipes are
:mod:`course_utils.recipes` (the blitz CIFAR-10 CNN of Chapter 07, the MNIST ConvNet of
Chapter 08, the row-by-row LSTM of Chapter 09), :mod:`course_utils.autoencoder` (Chapter 10),
:mod:`course_utils.painter` (Chapter 11), :mod:`course_utils.regularization` (Chapter 12),
:mod:`course_utils.batchnorm` (Chapter 13) and :mod:`course_utils.transfer` (Chapter 15); the
numbers the seeds and Morvan printed are below.
"""

from __future__ import annotations

import datetime
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course_utils import autoencoder, batchnorm, painter, regularization, transfer
from course_utils.recipes import BLITZ, LOSS_WINDOW, MNIST_CONVNET, ROW_LSTM

__all__ = [
    "CifarRun",
    "MnistRun",
    "LstmRun",
    "AutoencoderRun",
    "PainterRun",
    "DropoutRun",
    "SubsetRun",
    "BatchNormRun",
    "TransferRun",
    "TransferStudy",
    "AUTOENCODER_MAX_RATIO",
    "PAINTER_MEAN_TOLERANCE",
    "PAINTER_MIN_INSIDE",
    "PAINTER_MIN_SD",
    "SUBSET_MIN_GAP",
    "MORE_DATA_MIN_LEAD",
    "MORE_DATA",
    "DROPOUT_MAX_RATIO",
    "BATCHNORM_MAX_RATIO",
    "TRANSFER_MIN_LEAD",
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
# Morvan's outputs (MorvanZhou/PyTorch-Tutorial, tutorial-contents-notebooks): 402's test
# accuracy on the first 2,000 test images after one epoch; 404's loss on single training batches
# in epoch 9 (it never measured a test error).
MORVAN_402_ACCURACY_2000 = 0.95
MORVAN_404_BATCH_LOSS = 0.035
AUTOENCODER_MAX_RATIO = 1.0  # the autoencoder's test MSE must be below PCA-3's times this
# The painter GAN's checks: the fitted a of its curves against U(1, 2) (mean 1.5, sd 0.289).
PAINTER_MEAN_TOLERANCE = 0.1  # |mean a - 1.5| below this
PAINTER_MIN_INSIDE = 0.75  # at least this share of curves with 1 <= a <= 2
PAINTER_MIN_SD = 0.15  # a collapsed generator paints one curve: sd near 0
UNIFORM_SD = 12**-0.5  # the standard deviation of U(1, 2)
# Chapter 12's MNIST study: the plain MLP on 1,000 digits must overfit (train minus test accuracy
# at least this), and the same net trained on all the digits (MORE_DATA) must beat every remedy.
SUBSET_MIN_GAP = 0.05
MORE_DATA_MIN_LEAD = 0.0  # more data's mean test accuracy must exceed each remedy's by more
MORE_DATA = "more data"
# Morvan's 503 and 504: dropout's mean test MSE, and each BN net's, below the plain nets' times
# this.
DROPOUT_MAX_RATIO = 1.0
BATCHNORM_MAX_RATIO = 1.0
# Chapter 15: fine-tuning the book's pretrained ResNet must beat training it from scratch, on
# average over the seeds, by more than this (accuracy on the new classes' test images).
TRANSFER_MIN_LEAD = 0.0


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
class LstmRun:
    """One seeded epoch of the row-by-row LSTM (Chapter 09): accuracy on all and the first 2,000."""

    seed: int
    accuracy: float
    accuracy_2000: float
    seconds: float
    train_images: int


@dataclass
class AutoencoderRun:
    """One seeded autoencoder (Chapter 10): its test MSE per pixel, and PCA-3's."""

    seed: int
    autoencoder_mse: float
    pca_mse: float
    seconds: float
    epochs: int
    train_images: int


@dataclass
class PainterRun:
    """One seeded painter GAN (Chapter 11): its curves' fitted a, and Morvan's convergence signs.

    ``d_real`` and ``d_score`` are D's mean output on real curves and −D_loss, averaged over the
    last 1,000 steps (they tend to 0.5 and 2·ln 0.5).
    """

    seed: int
    mean: float
    sd: float
    inside: float
    residual: float
    d_real: float
    d_score: float
    seconds: float
    steps: int


@dataclass
class DropoutRun:
    """Morvan's dropout experiment (503, Chapter 12) from one seed: both nets' final test MSE."""

    seed: int
    plain: float
    dropout: float
    seconds: float


@dataclass
class SubsetRun:
    """One MLP of Chapter 12's MNIST study: its remedy, and its accuracies when training ended.

    ``remedy`` is a key of :data:`course_utils.regularization.REMEDIES`, or :data:`MORE_DATA`
    for the plain net trained on all the training digits.
    """

    seed: int
    remedy: str
    train_images: int
    epochs: int
    train_accuracy: float
    test_accuracy: float
    test_loss: float
    seconds: float

    @property
    def gap(self) -> float:
        """Train accuracy minus test accuracy: how much the net learned by heart."""
        return self.train_accuracy - self.test_accuracy


@dataclass
class BatchNormRun:
    """Morvan's batch-norm experiment (504, Chapter 13) from one seed: both nets' test MSE."""

    seed: int
    plain: float
    batch_norm: float
    epochs: int
    seconds: float


@dataclass
class TransferRun:
    """Chapter 15's new task learned from one seed: ``accuracy`` and ``seconds`` map each of
    :data:`course_utils.transfer.WAYS` to its test accuracy on the new classes and its time."""

    seed: int
    accuracy: dict[str, float]
    seconds: dict[str, float]


@dataclass
class TransferStudy:
    """Chapter 15's transfer learning: the one pre-trained network (its epochs, time and test
    accuracy on its own classes), then the new task once per seed."""

    pretrain_epochs: int
    pretrain_seconds: float
    source_accuracy: float
    runs: list[TransferRun]


@dataclass
class Results:
    """Everything RESULTS.md reports: the runs, the total time, the machine line and the date.

    ``standins`` names the datasets that were the offline stand-ins (``--allow-standin`` smoke
    runs only; empty for ``make reproduce``). The later chapters' runs may be left empty: their
    sections and checks are then left out.
    """

    cifar: list[CifarRun]
    mnist: MnistRun
    seconds: float
    machine: str
    date: datetime.datetime
    standins: Sequence[str] = ()
    lstm: list[LstmRun] = field(default_factory=list)
    autoencoder: list[AutoencoderRun] = field(default_factory=list)
    painter: list[PainterRun] = field(default_factory=list)
    dropout: list[DropoutRun] = field(default_factory=list)
    subsets: list[SubsetRun] = field(default_factory=list)
    batchnorm: list[BatchNormRun] = field(default_factory=list)
    transfer: TransferStudy | None = None

    def subset_means(self) -> dict[str, dict[str, float]]:
        """The MNIST study's mean over seeds, per net: train and test accuracy, gap, test loss."""
        means = {}
        for remedy in dict.fromkeys(r.remedy for r in self.subsets):
            runs = [r for r in self.subsets if r.remedy == remedy]
            means[remedy] = {
                name: statistics.mean(getattr(r, name) for r in runs)
                for name in ("train_accuracy", "test_accuracy", "gap", "test_loss", "seconds")
            }
        return means

    def checks(self) -> list[str]:
        """What the checks require, one phrase per kind of run present."""
        phrases = [
            f"each CIFAR-10 run ≥ {100 * BLITZ.threshold:g} %",
            f"the best MNIST epoch ≥ {pct(MNIST_CONVNET.threshold)}",
        ]
        if self.lstm:
            phrases.append(f"each LSTM run ≥ {pct(ROW_LSTM.threshold)} on the whole test set")
        if self.autoencoder:
            phrases.append("each autoencoder below PCA-3's test MSE")
        if self.painter:
            phrases.append(
                f"each painter GAN's fitted a: mean within {PAINTER_MEAN_TOLERANCE} of 1.5, "
                f"≥ {PAINTER_MIN_INSIDE:.0%} in [1, 2], sd ≥ {PAINTER_MIN_SD}"
            )
        if self.dropout:
            phrases.append("dropout's mean test MSE below the plain net's (503)")
        if self.subsets:
            phrases.append(
                f"the plain MLP on the MNIST subset overfits (gap ≥ {100 * SUBSET_MIN_GAP:g} "
                "points) and more data beats every remedy"
            )
        if self.batchnorm:
            phrases.append("each BN net's test MSE below the plain net's (504)")
        if self.transfer:
            phrases.append("fine-tuning beats training from scratch on the new classes")
        return phrases

    def failures(self) -> list[str]:
        """One line per missed threshold: each CIFAR-10, LSTM, autoencoder and painter run, and
        the best MNIST epoch."""
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
        failures += [
            f"LSTM seed {r.seed}: {pct(r.accuracy)} < {pct(ROW_LSTM.threshold)}"
            for r in self.lstm
            if r.accuracy < ROW_LSTM.threshold
        ]
        failures += [
            f"autoencoder seed {r.seed}: test MSE {r.autoencoder_mse:.4f} ≥ PCA-3's {r.pca_mse:.4f}"
            for r in self.autoencoder
            if r.autoencoder_mse >= r.pca_mse * AUTOENCODER_MAX_RATIO
        ]
        for r in self.painter:
            if abs(r.mean - 1.5) >= PAINTER_MEAN_TOLERANCE:
                failures.append(f"painter GAN seed {r.seed}: mean a {r.mean:.3f} is not 1.5 ± 0.1")
            if r.inside < PAINTER_MIN_INSIDE:
                failures.append(
                    f"painter GAN seed {r.seed}: {r.inside:.0%} of a in [1, 2] < "
                    f"{PAINTER_MIN_INSIDE:.0%}"
                )
            if r.sd < PAINTER_MIN_SD:
                failures.append(
                    f"painter GAN seed {r.seed}: sd of a {r.sd:.3f} < {PAINTER_MIN_SD} (collapsed)"
                )
        return failures + self._later_failures()

    def _later_failures(self) -> list[str]:
        """Chapters 12 and 13's missed thresholds."""
        failures = []
        if self.dropout:
            plain = statistics.mean(r.plain for r in self.dropout)
            dropped = statistics.mean(r.dropout for r in self.dropout)
            if dropped >= plain * DROPOUT_MAX_RATIO:
                failures.append(
                    f"dropout (503): mean test MSE {dropped:.4f} ≥ the plain net's {plain:.4f}"
                )
        means = self.subset_means()
        plain_gap = means.get("no remedy", {}).get("gap")
        if plain_gap is not None and plain_gap < SUBSET_MIN_GAP:
            failures.append(
                f"MNIST subset: the plain MLP's gap {100 * plain_gap:.1f} points < "
                f"{100 * SUBSET_MIN_GAP:g} (it did not overfit)"
            )
        if MORE_DATA in means:
            more = means[MORE_DATA]["test_accuracy"]
            for remedy, row in means.items():
                if remedy != MORE_DATA and row["test_accuracy"] >= more - MORE_DATA_MIN_LEAD:
                    failures.append(
                        f"MNIST subset: {remedy} {pct(row['test_accuracy'])} ≥ more data's "
                        f"{pct(more)}"
                    )
        failures += [
            f"batch norm (504) seed {r.seed}: test MSE {r.batch_norm:.1f} ≥ the plain net's "
            f"{r.plain:.1f}"
            for r in self.batchnorm
            if r.batch_norm >= r.plain * BATCHNORM_MAX_RATIO
        ]
        if self.transfer:
            scratch, _, tuned = (
                statistics.mean(r.accuracy[way] for r in self.transfer.runs)
                for way in transfer.WAYS
            )
            if tuned <= scratch + TRANSFER_MIN_LEAD:
                failures.append(
                    f"transfer: fine-tuned {pct(tuned)} does not beat from scratch {pct(scratch)}"
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
        "accuracy with `%d` (truncated to a whole percent) from one unseeded run. Chapter 07 "
        "trains the same recipe from the same seeds through a `DataLoader` over PIL images, "
        "which shuffles in another order than `TensorBatches`: its per-seed accuracies differ "
        "from these by draws of the same spread.",
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


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """The mean and the sample standard deviation (0 for a single value)."""
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.mean(values), sd


def _lstm_section(runs: list[LstmRun]) -> list[str]:
    lines = [
        "## MNIST row by row: Morvan's LSTM (402, Chapter 09)",
        "",
        f"`RowReader(nn.LSTM, 64)`: 28 rows of 28 pixels in [0, 1], `Linear(64, 10)` on the last "
        f"step; Adam lr 0.01, batch {ROW_LSTM.batch_size}, {ROW_LSTM.epochs} epoch on "
        f"{runs[0].train_images:,} training images. Accuracy on all 10,000 test images and on "
        "the first 2,000 (Morvan's measure).",
        "",
        "| run | test accuracy, all | first 2,000 | s |",
        "|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| seed {r.seed} | {pct(r.accuracy)} | {pct(r.accuracy_2000)} | {r.seconds:.1f} |"
        )
    (mean, sd), (mean_2000, sd_2000) = (
        _mean_sd([100 * getattr(r, name) for r in runs]) for name in ("accuracy", "accuracy_2000")
    )
    lines += [
        f"| **mean ± sd** | **{mean:.2f} ± {sd:.2f} %** | {mean_2000:.2f} ± {sd_2000:.2f} % | |",
        f"| Morvan's 402 | | {100 * MORVAN_402_ACCURACY_2000:.0f} % "
        f"(printed {MORVAN_402_ACCURACY_2000}) | |",
        "",
        "Morvan printed the accuracy on the first 2,000 test images to two decimals, from one "
        "unseeded run.",
        "",
    ]
    return lines


def _autoencoder_section(runs: list[AutoencoderRun]) -> list[str]:
    lines = [
        "## MNIST autoencoder against PCA (Morvan's 404, Chapter 10)",
        "",
        f"`AutoEncoder(code_size=3)` (784-128-64-12-3 and back, Tanh, Sigmoid output), Adam "
        f"lr {autoencoder.LEARNING_RATE}, batch {autoencoder.BATCH_SIZE}, {runs[0].epochs} "
        f"epochs on {runs[0].train_images:,} training images "
        "in [0, 1]; PCA with 3 components from the same training images. Test MSE per pixel over "
        "the 10,000 test images.",
        "",
        "| run | autoencoder | PCA-3 | autoencoder lower by | s |",
        "|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| seed {r.seed} | {r.autoencoder_mse:.4f} | {r.pca_mse:.4f} | "
            f"{100 * (1 - r.autoencoder_mse / r.pca_mse):.1f} % | {r.seconds:.0f} |"
        )
    mean, sd = _mean_sd([r.autoencoder_mse for r in runs])
    lines += [
        f"| **mean ± sd** | **{mean:.4f} ± {sd:.4f}** | {runs[0].pca_mse:.4f} | "
        f"{100 * (1 - mean / runs[0].pca_mse):.1f} % | |",
        f"| Morvan's 404 | ≈ {MORVAN_404_BATCH_LOSS} (one training batch, epoch 9) | | | |",
        "",
        "PCA has no random part: its error is the same for every seed. Morvan printed only the "
        "loss of single training batches.",
        "",
    ]
    return lines


def _painter_section(runs: list[PainterRun]) -> list[str]:
    lines = [
        "## The painter GAN (Morvan's 405, Chapter 11)",
        "",
        f"Morvan's G and D (128 ReLU units each), Adam lr {painter.LEARNING_RATE}, batch "
        f"{painter.BATCH_SIZE}, {runs[0].steps:,} "
        "steps, G's step first and D on detached fakes. The artist's `a` is fitted by least "
        "squares to 2,000 generated curves; D(real) and −D_loss are averaged over the last 1,000 "
        "steps.",
        "",
        "| run | mean a | sd of a | a in [1, 2] | residual | D(real) | −D_loss | s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| seed {r.seed} | {r.mean:.3f} | {r.sd:.3f} | {100 * r.inside:.1f} % | "
            f"{r.residual:.3f} | {r.d_real:.3f} | {r.d_score:.3f} | {r.seconds:.0f} |"
        )
    stats = {
        name: _mean_sd([getattr(r, name) for r in runs])
        for name in ("mean", "sd", "inside", "residual")
    }
    lines += [
        f"| **mean ± sd** | **{stats['mean'][0]:.3f} ± {stats['mean'][1]:.3f}** | "
        f"{stats['sd'][0]:.3f} ± {stats['sd'][1]:.3f} | "
        f"{100 * stats['inside'][0]:.1f} ± {100 * stats['inside'][1]:.1f} % | "
        f"{stats['residual'][0]:.3f} | | | |",
        f"| the artist, U(1, 2) | 1.500 | {UNIFORM_SD:.3f} | 100 % | 0 | 0.5 | "
        f"{2 * math.log(0.5):.3f} | |",
        "",
        'Morvan judged his run by its last two columns only (his plot\'s "D accuracy" and '
        '"D score", which tend to 0.5 and 2·ln 0.5); the fitted `a` says whether G paints like '
        "the artist.",
        "",
    ]
    return lines


def _dropout_section(runs: list[DropoutRun]) -> list[str]:
    lines = [
        "## Overfitting and dropout: Morvan's 503 (Chapter 12)",
        "",
        f"{regularization.POINTS} training and {regularization.POINTS} test points, "
        f"y = x + {regularization.NOISE}·N(0, 1) on [−1, 1]; 1-{regularization.HIDDEN}-"
        f"{regularization.HIDDEN}-1 ReLU nets, one with Dropout({regularization.DROPOUT}); Adam "
        f"lr {regularization.LEARNING_RATE}, {regularization.STEPS} full-batch steps. Test MSE "
        "in evaluation mode after the last step.",
        "",
        "| run | plain | dropout | s |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| seed {r.seed} | {r.plain:.4f} | {r.dropout:.4f} | {r.seconds:.1f} |" for r in runs
    ]
    (plain, plain_sd), (dropped, dropped_sd) = (
        _mean_sd([getattr(r, name) for r in runs]) for name in ("plain", "dropout")
    )
    wins = sum(r.dropout < r.plain for r in runs)
    lines += [
        f"| **mean ± sd** | {plain:.4f} ± {plain_sd:.4f} | "
        f"**{dropped:.4f} ± {dropped_sd:.4f}** | |",
        "",
        f"Dropout had the lower test MSE in {wins} of {len(runs)} seeds. The noise's variance, "
        f"{regularization.NOISE**2:.2f}, is the lowest test MSE any net can expect here. Morvan's "
        "503 shows the two test losses only on its live plot, from one unseeded run.",
        "",
    ]
    return lines


def _subset_section(results: Results) -> list[str]:
    runs = results.subsets
    seeds = sorted({r.seed for r in runs})
    by_remedy = {r.remedy: r for r in runs}
    lines = [
        "## Overfitting 1,000 MNIST digits, and its remedies (Chapter 12)",
        "",
        f"A 784-{regularization.MLP_HIDDEN}-{regularization.MLP_HIDDEN}-10 ReLU MLP, SGD lr "
        f"{regularization.MNIST_LEARNING_RATE} momentum {regularization.MOMENTUM}, batch "
        f"{regularization.MNIST_BATCH_SIZE}; dropout {regularization.DROPOUT} after each hidden "
        f"layer, weight decay {regularization.WEIGHT_DECAY:g}. Accuracy on its training images "
        f"and on the 10,000 test images when training ended; the mean over seeds "
        f"{', '.join(map(str, seeds))}.",
        "",
        "| net | training images | epochs | train accuracy | test accuracy | gap (points) | "
        "test loss | s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for remedy, row in results.subset_means().items():
        run = by_remedy[remedy]
        lines.append(
            f"| {remedy} | {run.train_images:,} | {run.epochs} | {pct(row['train_accuracy'])} | "
            f"**{pct(row['test_accuracy'])}** | {100 * row['gap']:.2f} | {row['test_loss']:.4f} | "
            f"{row['seconds']:.0f} |"
        )
    lines += [
        "",
        f'"{MORE_DATA}" is the plain net, no remedy, trained on every training digit. '
        "The seed notes name the remedies but measure none of them.",
        "",
    ]
    return lines


def _batchnorm_section(runs: list[BatchNormRun]) -> list[str]:
    lines = [
        "## Batch normalization: Morvan's 504 (Chapter 13)",
        "",
        f"{batchnorm.SAMPLES:,} training and {batchnorm.TEST_SAMPLES} test points, y = x² − 5 + "
        f"N(0, {batchnorm.NOISE:g}) on [−7, 10]; {batchnorm.LAYERS} tanh layers of "
        f"{batchnorm.WIDTH}, weights N(0, {batchnorm.WEIGHT_STD}) and biases "
        f"{batchnorm.BIAS_INIT}; with and without BatchNorm1d (momentum {batchnorm.BN_MOMENTUM}, "
        f"also on the input); Adam lr {batchnorm.LEARNING_RATE}, batch {batchnorm.BATCH_SIZE}, "
        f"{runs[0].epochs} epochs. Test MSE in evaluation mode after the last epoch.",
        "",
        "| run | without BN | with BN | s |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| seed {r.seed} | {r.plain:.1f} | {r.batch_norm:.1f} | {r.seconds:.1f} |" for r in runs
    ]
    (plain, plain_sd), (normed, normed_sd) = (
        _mean_sd([getattr(r, name) for r in runs]) for name in ("plain", "batch_norm")
    )
    lines += [
        f"| **mean ± sd** | {plain:.1f} ± {plain_sd:.1f} | **{normed:.1f} ± {normed_sd:.1f}** | |",
        "",
        "Morvan's 504 plots the test loss per epoch (y axis 0 to 2,000) from one unseeded run and "
        "prints no number.",
        "",
    ]
    return lines


def _transfer_section(study: TransferStudy) -> list[str]:
    runs = study.runs
    classes = "–".join(str(c) for c in (transfer.SOURCE_CLASSES[0], transfer.SOURCE_CLASSES[-1]))
    new = "–".join(str(c) for c in (transfer.TARGET_CLASSES[0], transfer.TARGET_CLASSES[-1]))
    lines = [
        "## Transfer learning: the book's own pretrained ResNet-18 (Chapter 15)",
        "",
        f"torchvision's ResNet-18 with a 3×3 stem (`transfer.cifar_resnet`), pre-trained on "
        f"CIFAR-10's classes {classes} (25,000 images, {study.pretrain_epochs} epochs, "
        f"{study.pretrain_seconds:.0f} s, seed 0): {pct(study.source_accuracy)} on their test "
        f"images. Then classes {new} from {transfer.PER_CLASS} training images each, "
        f"{transfer.TRANSFER_EPOCHS} epochs of SGD (lr {transfer.TRANSFER_LR}, momentum "
        f"{transfer.MOMENTUM}, cosine schedule, mirrored images), once per seed; test accuracy "
        "on their 5,000 test images.",
        "",
        "| run | " + " | ".join(transfer.WAYS) + " |",
        "|---|" + "---|" * len(transfer.WAYS),
    ]
    for r in runs:
        cells = [f"{pct(r.accuracy[way])} ({r.seconds[way]:.0f} s)" for way in transfer.WAYS]
        lines.append(f"| seed {r.seed} | " + " | ".join(cells) + " |")
    means = [_mean_sd([r.accuracy[way] for r in runs]) for way in transfer.WAYS]
    lines += [
        "| **mean ± sd** | "
        + " | ".join(f"{100 * m:.2f} ± {100 * sd:.2f} %" for m, sd in means)
        + " |",
        "",
        "Seed 002 loads ImageNet's weights with `resnet50(pretrained=True)` and trains nothing; "
        "the notes print no number.",
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
    """RESULTS.md's text: the header (date, machine, time, data, checks), a section per recipe."""
    failures = results.failures()
    checks = "PASS" if not failures else "FAIL: " + "; ".join(failures)
    mnist_total = sum(results.mnist.epoch_seconds)
    later_runs = [
        *results.lstm,
        *results.autoencoder,
        *results.painter,
        *results.dropout,
        *results.subsets,
        *results.batchnorm,
    ]

    later = (
        f", {sum(r.seconds for r in later_runs):.0f} s for Chapters 09–13's {len(later_runs)} runs"
        if later_runs
        else ""
    )
    if results.transfer:
        study = results.transfer
        seconds = study.pretrain_seconds + sum(sum(r.seconds.values()) for r in study.runs)
        later += f", {seconds:.0f} s for Chapter 15's transfer learning"
    cifar_total = sum(s for r in results.cifar for s in r.epoch_seconds)
    lines = [
        "# Results: the book's recipes on the real data",
        "",
        "Written by `make reproduce` (`scripts/reproduce.py`); do not edit by hand.",
        "",
        f"- Date: {results.date:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {results.machine}",
        f"- Time: {results.seconds / 60:.1f} min in total; training {cifar_total:.0f} s for "
        f"CIFAR-10 ({len(results.cifar)} runs), {mnist_total:.0f} s for MNIST{later}. Timings vary "
        "±20–30 % from run to run on a shared machine.",
        _data_line(results.standins),
        f"- Checks: {checks} ({', '.join(results.checks())}).",
        "",
        *_cifar_section(results.cifar),
        *_mnist_section(results.mnist),
    ]
    if results.lstm:
        lines += _lstm_section(results.lstm)
    if results.autoencoder:
        lines += _autoencoder_section(results.autoencoder)
    if results.painter:
        lines += _painter_section(results.painter)
    if results.dropout:
        lines += _dropout_section(results.dropout)
    if results.subsets:
        lines += _subset_section(results)
    if results.batchnorm:
        lines += _batchnorm_section(results.batchnorm)
    if results.transfer:
        lines += _transfer_section(results.transfer)
    return "\n".join(lines) + "\n"


def write_results(path: Path, results: Results) -> None:
    """Write :func:`render_results` to ``path``, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_results(results))
