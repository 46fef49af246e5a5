"""Unit tests of course_utils.report: RESULTS.md rendered from small hand-made runs."""

from __future__ import annotations

import datetime

import pytest

from course_utils.report import CifarRun, MnistRun, Results, render_results, write_results

DATE = datetime.datetime(2026, 11, 24, 21, 41, tzinfo=datetime.UTC)


def cifar_run(seed: int, correct: int, first: float = 2.2, last: float = 1.3) -> CifarRun:
    return CifarRun(seed, correct / 10_000, correct, 10_000, first, last, [14.0, 15.0], 50_000)


def mnist_run(correct: list[int], seconds: float = 4.5) -> MnistRun:
    return MnistRun(
        test_loss=[0.05 + i / 1000 for i in range(len(correct))],
        correct=correct,
        total=10_000,
        train_images=60_000,
        epoch_seconds=[seconds] * len(correct),
    )


def results(cifar: list[CifarRun], mnist: MnistRun, standins: tuple[str, ...] = ()) -> Results:
    return Results(cifar, mnist, 186.0, "a test CPU; 2 logical CPUs", DATE, standins)


def lines_of(text: str, start: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(start)]


@pytest.fixture
def passing() -> Results:
    return results(
        [cifar_run(0, 5500, 2.211, 1.297), cifar_run(1, 5300, 2.241, 1.263)],
        mnist_run([9758, 9904, 9913, 9902]),
    )


def test_the_header_names_date_machine_time_data_and_a_pass(passing):
    text = render_results(passing)
    assert text.startswith("# Results: the seeds' recipes on the real data\n")
    assert "- Date: 2026-11-24 21:41 UTC\n" in text
    assert "- Machine: a test CPU; 2 logical CPUs\n" in text
    # 2 runs x (14 + 15) s of CIFAR-10 training, 4 x 4.5 s of MNIST; 186 s in all
    assert "- Time: 3.1 min in total; training 58 s for CIFAR-10 (2 runs), 18 s for MNIST." in text
    assert "- Data: the real MNIST and CIFAR-10, held in memory as tensors" in text
    assert "- Checks: PASS (each CIFAR-10 run ≥ 50 %, the best MNIST epoch ≥ 99.00 %).\n" in text
    assert text.endswith("prints as 99 %.\n\n")


def test_the_cifar_table_has_a_row_per_seed_then_mean_and_sd(passing):
    text = render_results(passing)
    assert lines_of(text, "| seed ") == [
        "| seed 0 | 55.00 % | 5500/10000 | 2.211 | 1.297 | 14.5 |",
        "| seed 1 | 53.00 % | 5300/10000 | 2.241 | 1.263 | 14.5 |",
        "| seed 000 (study notes) | 55 % | | 2.226 | 1.294 | |",
    ]
    # sample sd of 55 and 53 is sqrt(2); the losses are averaged over the seeds
    assert "| **mean ± sd** | **54.00 ± 1.41 %** | | 2.226 | 1.280 | 14.5 |" in text
    assert "2 epochs on 50,000 training images" in text
    assert "sd is the sample standard deviation over the 2 seeds." in text


def test_one_seed_has_a_zero_sd():
    text = render_results(results([cifar_run(3, 5012)], mnist_run([9900])))
    assert "| **mean ± sd** | **50.12 ± 0.00 %** |" in text


def test_the_mnist_table_sits_beside_seed_003(passing):
    text = render_results(passing)
    rows = [line for line in text.splitlines() if line[:4] in ("| 1 ", "| 2 ", "| 3 ", "| 4 ")]
    assert rows[0] == "| 1 | 0.0500 | 97.58 % | 9758/10000 | 4.5 | 9695 (96.95 %) | 0.1018 | 97 % |"
    assert rows[2] == "| 3 | 0.0520 | 99.13 % | 9913/10000 | 4.5 | 9866 (98.66 %) | 0.0408 | 99 % |"
    assert len(rows) == 4
    assert "- First epoch at or above 99.00 %: **2** (seed 003: epoch 9, 9909/10000)." in text
    assert "- Best epoch: **3, 99.13 %** (seed 003: epoch 17, 99.22 %)." in text
    assert "- Last epoch: 99.02 % (seed 003: 98.99 %)." in text


def test_epochs_past_the_seeds_twenty_leave_its_cells_empty():
    text = render_results(results([cifar_run(0, 5500)], mnist_run([9900] * 21)))
    (row,) = lines_of(text, "| 21 |")
    assert row == "| 21 | 0.0700 | 99.00 % | 9900/10000 | 4.5 |  | |  |"
    assert "- Best epoch: **1, 99.00 %**" in text  # the earliest of a tie


def test_missed_thresholds_are_each_named_in_the_checks():
    run = results(
        [cifar_run(0, 5000), cifar_run(1, 4999)], mnist_run([9898, 9899, 9850], seconds=1.0)
    )
    assert run.failures() == [
        "CIFAR-10 seed 1: 49.99 % < 50.00 %",  # 50.00 % exactly passes
        "MNIST best epoch 2: 98.99 % < 99.00 %",
    ]
    text = render_results(run)
    (checks,) = lines_of(text, "- Checks:")
    assert checks == (
        "- Checks: FAIL: CIFAR-10 seed 1: 49.99 % < 50.00 %; MNIST best epoch 2: 98.99 % < "
        "99.00 % (each CIFAR-10 run ≥ 50 %, the best MNIST epoch ≥ 99.00 %)."
    )
    assert "- First epoch at or above 99.00 %: **none**" in text


def test_a_standin_run_says_so_in_its_data_line(passing):
    passing.standins = ("CIFAR-10", "MNIST")
    (data,) = lines_of(render_results(passing), "- Data:")
    assert data.startswith(
        "- Data: the OFFLINE STAND-INS for CIFAR-10 and MNIST (`--allow-standin`"
    )
    assert "the real MNIST" not in data


def test_write_results_creates_the_folder(tmp_path, passing):
    path = tmp_path / "results" / "RESULTS.md"
    write_results(path, passing)
    assert path.read_text() == render_results(passing)
