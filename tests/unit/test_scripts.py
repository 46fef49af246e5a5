"""Smoke tests of scripts/reproduce.py and scripts/bench.py, run in-process on the stand-ins.

The unit tests have no real data, so by default both scripts run nothing; ``--allow-standin``
runs their whole path on the offline stand-ins at tiny sizes (a few seconds each). The numbers
mean nothing, but the output must be complete and agree with itself.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
from types import ModuleType

import pytest

from course_utils import report
from course_utils.paths import REPO_ROOT

TINY_REPRODUCE = [
    "--limit",
    "64",
    "--seeds",
    "0",
    "1",
    "--cifar-epochs",
    "2",
    "--mnist-epochs",
    "2",
    "--autoencoder-epochs",
    "1",
    "--painter-steps",
    "30",
    "--dropout-seeds",
    "2",
    "--dropout-steps",
    "20",
    "--subset-epochs",
    "2",
    "--more-data-epochs",
    "1",
    "--bn-epochs",
    "1",
    "--pretrain-epochs",
    "1",
    "--transfer-epochs",
    "2",
]
TINY_BENCH = ["--repeats", "1", "--mnist-images", "64", "--blitz-images", "32"]
BENCH_ROWS = [
    "(a) compute only: tensors in memory, fixed order",
    "(b) PIL -> ToTensor -> Normalize, DataLoader, 0 workers",
    "(b) PIL -> ToTensor -> Normalize, DataLoader, 2 workers",
    "(c) fast path: as_tensors + TensorBatches, shuffled",
    "    one-off decode by as_tensors (",
]


def lines_starting(text: str, start: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(start)]


def load_script(name: str) -> ModuleType:
    """Import scripts/<name>.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        f"script_{name}", REPO_ROOT / "scripts" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reproduce() -> ModuleType:
    return load_script("reproduce")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("bench")


def counting(recipe, calls: list[tuple[str, bool]]):
    """``recipe`` whose loader records every call as ``(dataset, train)``."""

    def loader(train: bool = True, transform=None):
        calls.append((recipe.dataset, train))
        return recipe.loader(train=train, transform=transform)

    return dataclasses.replace(recipe, loader=loader)


# ------------------------------------------------------------------------------------ reproduce


def test_reproduce_without_real_data_runs_nothing_and_writes_nothing(reproduce, tmp_path, capsys):
    # tiny sizes and a private output: were real data ever here, this would fail, not overwrite
    output = tmp_path / "RESULTS.md"
    assert reproduce.main(["--output", str(output), *TINY_REPRODUCE]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "reproduce: the real MNIST/CIFAR-10 data is not on this machine (no cache, no mirror, "
        "no network); nothing run, RESULTS.md not written."
    )
    assert not output.exists()


def test_reproduce_documents_allow_standin_and_requires_an_output(reproduce, capsys):
    with pytest.raises(SystemExit) as exit_info:
        reproduce.main(["--help"])
    assert exit_info.value.code == 0
    assert "--allow-standin" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        reproduce.main(["--allow-standin"])
    assert exit_info.value.code == 2
    assert "--allow-standin needs --output" in capsys.readouterr().err


def test_reproduce_on_the_standins_writes_results_that_match_its_lines(
    reproduce, monkeypatch, tmp_path, capsys
):
    calls: list[tuple[str, bool]] = []
    monkeypatch.setattr(reproduce, "BLITZ", counting(reproduce.BLITZ, calls))
    monkeypatch.setattr(reproduce, "MNIST_CONVNET", counting(reproduce.MNIST_CONVNET, calls))
    output = tmp_path / "out" / "RESULTS.md"
    status = reproduce.main(["--allow-standin", "--output", str(output), *TINY_REPRODUCE])
    captured = capsys.readouterr()
    assert calls == [("CIFAR-10", True), ("CIFAR-10", False), ("MNIST", True), ("MNIST", False)]
    assert "reproduce: OFFLINE STAND-INS for CIFAR-10 and MNIST (--allow-standin)" in captured.out
    text = output.read_text()
    for heading in (
        "# Results: the book's recipes on the real data",
        "## CIFAR-10: the blitz CNN (seed 000)",
        "## MNIST: the handbook ConvNet (seed 003)",
        "## MNIST row by row: Morvan's LSTM (402, Chapter 09)",
        "## MNIST autoencoder against PCA (Morvan's 404, Chapter 10)",
        "## The painter GAN (Morvan's 405, Chapter 11)",
        "## Overfitting and dropout: Morvan's 503 (Chapter 12)",
        "## Overfitting 1,000 MNIST digits, and its remedies (Chapter 12)",
        "## Batch normalization: Morvan's 504 (Chapter 13)",
        "## Transfer learning: the book's own pretrained ResNet-18 (Chapter 15)",
    ):
        assert f"\n{heading}\n" in f"\n{text}"
    assert "- Data: the OFFLINE STAND-INS for CIFAR-10 and MNIST" in text
    assert "2 epochs on 64 training images" in text

    # every printed result stands in the tables
    out = captured.out
    windows = re.findall(
        r"CIFAR-10 seed (\d) epoch (\d): [\d.]+ s, loss per 2000 mini-batches ([\d.]+)", out
    )
    assert len(windows) == 4  # 2 seeds x 2 epochs, one (partial) window each
    cifar = re.findall(r"CIFAR-10 seed (\d): test accuracy ([\d.]+)% \((\d+)/(\d+)\)", out)
    assert [seed for seed, *_ in cifar] == ["0", "1"]
    for seed, accuracy, correct, total in cifar:
        first, last = (loss for s, _, loss in windows if s == seed)
        assert f"| seed {seed} | {accuracy} % | {correct}/{total} | {first} | {last} |" in text
    mnist = re.findall(
        r"MNIST epoch +(\d+): test loss ([\d.]+), accuracy ([\d.]+)% \((\d+/\d+)\), ([\d.]+) s", out
    )
    assert len(mnist) == 2
    for epoch, loss, accuracy, correct, seconds in mnist:
        assert f"\n| {epoch} | {loss} | {accuracy} % | {correct} | {seconds} |" in text
    lstm = re.findall(
        r"LSTM seed (\d): test accuracy ([\d.]+)% \(all [\d,]+\), ([\d.]+)% \(first 2,000\), "
        r"([\d.]+) s",
        out,
    )
    assert [seed for seed, *_ in lstm] == ["0", "1"]
    for seed, accuracy, first, seconds in lstm:
        assert f"| seed {seed} | {accuracy} % | {first} % | {seconds} |" in text
    autoencoder = re.findall(
        r"autoencoder seed (\d): test MSE ([\d.]+) \(PCA-3 ([\d.]+)\), (\d+) s", out
    )
    assert [seed for seed, *_ in autoencoder] == ["0", "1"]
    for seed, error, pca, seconds in autoencoder:
        lower = 100 * (1 - float(error) / float(pca))  # from the printed, rounded values
        (row,) = (
            line for line in text.splitlines() if line.startswith(f"| seed {seed} | {error} |")
        )
        cells = row.strip("| ").split(" | ")
        assert cells[2] == pca and cells[4] == seconds
        assert abs(float(cells[3].removesuffix(" %")) - lower) < 0.5
    painted = re.findall(
        r"painter GAN seed (\d): fitted a mean ([\d.]+), sd ([\d.]+), ([\d.]+)% in \[1, 2\]; "
        r"D\(real\) ([\d.]+), -D_loss (-[\d.]+), (\d+) s",
        out,
    )
    assert [seed for seed, *_ in painted] == ["0", "1"]
    for seed, mean, sd, inside, d_real, d_score, seconds in painted:
        assert f"| seed {seed} | {mean} | {sd} | {inside} % | " in text
        assert f"| {d_real} | {d_score} | {seconds} |" in text

    dropout = re.findall(
        r"dropout \(503\) seed (\d): test MSE plain ([\d.]+), dropout ([\d.]+), ([\d.]+) s", out
    )
    assert [seed for seed, *_ in dropout] == ["0", "1"]
    for seed, plain, dropped, seconds in dropout:
        assert f"| seed {seed} | {plain} | {dropped} | {seconds} |" in text
    subsets = re.findall(
        r"MNIST subset seed (\d), ([a-z ]+): train ([\d.]+)%, test ([\d.]+)% \(gap (-?[\d.]+)\), "
        r"test loss ([\d.]+), ([\d.]+) s",
        out,
    )
    remedies = ["no remedy", "dropout", "weight decay", "both", "more data"]
    assert [(seed, remedy) for seed, remedy, *_ in subsets] == [
        (seed, remedy) for seed in "01" for remedy in remedies
    ]
    for remedy in remedies:  # the table holds the mean over the seeds
        tests = [float(test) for _, name, _, test, *_ in subsets if name == remedy]
        (row,) = lines_starting(text, f"| {remedy} | ")
        cells = row.strip("| ").split(" | ")
        assert abs(float(cells[4].strip("*").removesuffix(" %")) - sum(tests) / 2) < 0.01
    batch_norm = re.findall(
        r"batch norm \(504\) seed (\d): test MSE without BN ([\d.]+), with BN ([\d.]+), "
        r"([\d.]+) s",
        out,
    )
    assert [seed for seed, *_ in batch_norm] == ["0", "1"]
    for seed, plain, normed, seconds in batch_norm:
        assert f"| seed {seed} | {plain} | {normed} | {seconds} |" in text

    pretrained = re.findall(
        r"transfer: pre-trained 1 epochs in (\d+) s, ([\d.]+)% on the source classes", out
    )
    assert len(pretrained) == 1
    assert f"1 epochs, {pretrained[0][0]} s, seed 0): {pretrained[0][1]} % on their" in text
    ways = re.findall(
        r"transfer seed (\d): from scratch ([\d.]+)% \((\d+) s\), frozen backbone, new head "
        r"([\d.]+)% \((\d+) s\), fine-tuned, backbone lr / 10 ([\d.]+)% \((\d+) s\)",
        out,
    )
    assert [seed for seed, *_ in ways] == ["0", "1"]
    for seed, scratch, s1, frozen, s2, tuned, s3 in ways:
        row = f"| seed {seed} | {scratch} % ({s1} s) | {frozen} % ({s2} s) | {tuned} % ({s3} s) |"
        assert row in text

    # tiny runs miss the thresholds: the exit status, the FAIL lines and the Checks line agree
    missed = sum(float(accuracy) < 50 for _, accuracy, _, _ in cifar)
    missed += max(float(accuracy) for _, _, accuracy, _, _ in mnist) < 99
    missed += sum(float(accuracy) < 93 for _, accuracy, _, _ in lstm)
    missed += sum(float(error) >= float(pca) for _, error, pca, _ in autoencoder)
    for _, mean, sd, inside, *_ in painted:
        missed += (abs(float(mean) - 1.5) >= 0.1) + (float(inside) < 75) + (float(sd) < 0.15)
    missed += sum(float(d) for *_, d, _ in dropout) >= sum(float(p) for _, p, *_ in dropout)
    missed += sum(float(normed) >= float(plain) for _, plain, normed, _ in batch_norm)
    means = {
        remedy: [
            sum(float(row[i]) for row in subsets if row[1] == remedy) / 2 for i in (2, 3)
        ]  # train and test accuracy, in percent
        for remedy in remedies
    }
    missed += means["no remedy"][0] - means["no remedy"][1] < 5
    missed += sum(means[r][1] >= means["more data"][1] for r in remedies[:-1])
    scratch_mean = sum(float(row[1]) for row in ways) / 2
    missed += sum(float(row[5]) for row in ways) / 2 <= scratch_mean
    fails = [
        line.removeprefix("reproduce: FAIL ")
        for line in captured.err.splitlines()
        if line.startswith("reproduce: FAIL ")
    ]
    assert missed == len(fails) > 0 and status == 1
    (checks,) = [line for line in text.splitlines() if line.startswith("- Checks:")]
    assert checks.startswith(f"- Checks: FAIL: {'; '.join(fails)} (")


def test_reproduce_exits_0_with_a_pass_when_the_thresholds_are_met(
    reproduce, monkeypatch, tmp_path, capsys
):
    for name in ("BLITZ", "MNIST_CONVNET", "ROW_LSTM"):  # thresholds a stand-in run cannot miss
        monkeypatch.setattr(report, name, dataclasses.replace(getattr(report, name), threshold=0))
    monkeypatch.setattr(report, "AUTOENCODER_MAX_RATIO", float("inf"))
    monkeypatch.setattr(report, "PAINTER_MEAN_TOLERANCE", float("inf"))
    monkeypatch.setattr(report, "PAINTER_MIN_INSIDE", 0.0)
    monkeypatch.setattr(report, "PAINTER_MIN_SD", 0.0)
    for name in ("DROPOUT_MAX_RATIO", "BATCHNORM_MAX_RATIO"):
        monkeypatch.setattr(report, name, float("inf"))
    for name in ("SUBSET_MIN_GAP", "MORE_DATA_MIN_LEAD", "TRANSFER_MIN_LEAD"):
        monkeypatch.setattr(report, name, float("-inf"))
    output = tmp_path / "RESULTS.md"
    argv = ["--allow-standin", "--output", str(output), "--limit", "16", "--seeds", "0"]
    tiny = ["--cifar-epochs", "1", "--mnist-epochs", "1", "--autoencoder-epochs", "1"]
    tiny += ["--painter-steps", "10", "--dropout-seeds", "1", "--dropout-steps", "10"]
    tiny += ["--subset-epochs", "1", "--more-data-epochs", "1", "--bn-epochs", "1"]
    tiny += ["--pretrain-epochs", "1", "--transfer-epochs", "1"]
    status = reproduce.main([*argv, *tiny])
    assert status == 0 and "FAIL" not in capsys.readouterr().err
    assert "- Checks: PASS (" in output.read_text()


# ---------------------------------------------------------------------------------------- bench


def test_bench_without_real_data_times_nothing(bench, capsys):
    assert bench.main([]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "bench: the real MNIST/CIFAR-10 data is not on this machine (no cache, no mirror, "
        "no network); nothing timed."
    )


def test_bench_on_the_standins_prints_every_row_loading_each_set_once(bench, monkeypatch, capsys):
    calls: list[tuple[str, bool]] = []
    monkeypatch.setattr(bench, "CASES", [counting(recipe, calls) for recipe in bench.CASES])
    status = bench.main(["--allow-standin", *TINY_BENCH])
    captured = capsys.readouterr()
    assert calls == [("MNIST", True), ("CIFAR-10", True)]  # once each; no test split
    lines = captured.out.splitlines()
    assert "bench: OFFLINE STAND-INS for MNIST and CIFAR-10 (--allow-standin)" in lines
    for heading, note in (
        (
            "MNIST ConvNet (seed 003), batch 512, Adam",
            "60,000 images (timed on 64 images and scaled x937.5)",
        ),
        (
            "blitz CIFAR-10 CNN (seed 000), batch 4, SGD momentum",
            "50,000 images (timed on 32 images and scaled x1562.5)",
        ),
    ):
        start = lines.index(f"{heading}: one epoch of {note}")
        assert lines[start + 1].split() == ["feeding", "s/epoch", "x", "(a)"]
        rows = lines[start + 2 : start + 7]
        for row, label in zip(rows, BENCH_ROWS, strict=True):
            assert row.startswith(f"  {label}")
        assert rows[0].endswith(" 1.00")  # (a) is the unit of the last column
        assert re.fullmatch(
            r"  fast path / compute = [\d.]+ \(limit 1.2\): (ok|TOO SLOW)", lines[start + 7]
        )
    too_slow = sum(line.endswith("TOO SLOW") for line in lines)
    fails = [line for line in captured.err.splitlines() if line.startswith("bench: FAIL ")]
    assert len(fails) == too_slow and status == (1 if too_slow else 0)
