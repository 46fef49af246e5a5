"""Unit tests of course_utils.report: RESULTS.md rendered from small hand-made runs."""

from __future__ import annotations

import datetime

import pytest

from course_utils import transfer
from course_utils.report import (
    AutoencoderRun,
    BatchNormRun,
    CifarRun,
    DropoutRun,
    LstmRun,
    MnistRun,
    PainterRun,
    Results,
    SubsetRun,
    TransferRun,
    TransferStudy,
    render_results,
    write_results,
)

WAYS = transfer.WAYS
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
    assert text.startswith("# Results: the book's recipes on the real data\n")
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


# ------------------------------------------------------------------- Chapters 09-11's recipes


def later(passing: Results, lstm=(), autoencoder=(), painter=()) -> Results:
    passing.lstm, passing.autoencoder, passing.painter = (
        list(lstm),
        list(autoencoder),
        list(painter),
    )
    return passing


def painter_run(seed: int, mean: float = 1.5, sd: float = 0.3, inside: float = 0.92) -> PainterRun:
    return PainterRun(seed, mean, sd, inside, 0.038, 0.501, -1.381, 9.0, 10_000)


def test_without_later_runs_their_sections_and_checks_are_left_out(passing):
    text = render_results(passing)
    assert "LSTM" not in text and "autoencoder" not in text and "painter" not in text


def test_the_lstm_table_has_both_measures_beside_morvans(passing):
    runs = [LstmRun(0, 0.9551, 0.9415, 2.6, 60_000), LstmRun(1, 0.9649, 0.9585, 2.7, 60_000)]
    text = render_results(later(passing, lstm=runs))
    assert "| seed 0 | 95.51 % | 94.15 % | 2.6 |" in text
    assert "| **mean ± sd** | **96.00 ± 0.69 %** | 95.00 ± 1.20 % | |" in text
    assert "| Morvan's 402 | | 95 % (printed 0.95) | |" in text
    assert "1 epoch on 60,000 training images" in text
    assert "each LSTM run ≥ 93.00 % on the whole test set" in lines_of(text, "- Checks:")[0]


def test_the_autoencoder_table_compares_each_seed_with_pca(passing):
    runs = [AutoencoderRun(s, e, 0.0516, 19.0, 10, 60_000) for s, e in ((0, 0.0381), (1, 0.0391))]
    text = render_results(later(passing, autoencoder=runs))
    assert "| seed 0 | 0.0381 | 0.0516 | 26.2 % | 19 |" in text
    assert "| **mean ± sd** | **0.0386 ± 0.0007** | 0.0516 | 25.2 % | |" in text
    assert "10 epochs on 60,000 training images" in text


def test_the_painter_table_sits_beside_the_artists_uniform_a(passing):
    text = render_results(
        later(passing, painter=[painter_run(0), painter_run(1, 1.52, 0.29, 0.94)])
    )
    assert "| seed 0 | 1.500 | 0.300 | 92.0 % | 0.038 | 0.501 | -1.381 | 9 |" in text
    assert "| **mean ± sd** | **1.510 ± 0.014** | 0.295 ± 0.007 | 93.0 ± 1.4 % | 0.038 |" in text
    assert "| the artist, U(1, 2) | 1.500 | 0.289 | 100 % | 0 | 0.5 | -1.386 | |" in text


def test_each_later_threshold_is_named_when_missed(passing):
    results = later(
        passing,
        lstm=[LstmRun(0, 0.9299, 0.95, 2.0, 60_000), LstmRun(1, 0.93, 0.95, 2.0, 60_000)],
        autoencoder=[AutoencoderRun(2, 0.0516, 0.0516, 19.0, 10, 60_000)],
        painter=[painter_run(3, mean=1.61), painter_run(4, inside=0.74), painter_run(5, sd=0.149)],
    )
    assert results.failures() == [
        "LSTM seed 0: 92.99 % < 93.00 %",  # 93.00 % exactly passes
        "autoencoder seed 2: test MSE 0.0516 ≥ PCA-3's 0.0516",  # a tie fails
        "painter GAN seed 3: mean a 1.610 is not 1.5 ± 0.1",
        "painter GAN seed 4: 74% of a in [1, 2] < 75%",
        "painter GAN seed 5: sd of a 0.149 < 0.15 (collapsed)",
    ]
    checks = lines_of(render_results(results), "- Checks:")[0]
    assert checks.startswith("- Checks: FAIL: LSTM seed 0: 92.99 % < 93.00 %; autoencoder seed 2")


def test_the_time_line_counts_the_later_runs(passing):
    runs = [LstmRun(0, 0.96, 0.95, 3.0, 60_000)], [painter_run(0), painter_run(1)]
    text = render_results(later(passing, lstm=runs[0], painter=runs[1]))
    assert "18 s for MNIST, 21 s for Chapters 09–13's 3 runs." in text


# ------------------------------------------------------------------- Chapters 12-13's experiments


def subset_runs(seed: int, tests: dict[str, float], train: float = 1.0) -> list[SubsetRun]:
    return [
        SubsetRun(seed, remedy, 60_000 if remedy == "more data" else 1000, 5, train, test, 0.4, 6)
        for remedy, test in tests.items()
    ]


TESTS = {
    "no remedy": 0.887,
    "dropout": 0.895,
    "weight decay": 0.891,
    "both": 0.9,
    "more data": 0.98,
}


def test_the_dropout_table_has_each_seed_the_mean_and_the_wins(passing):
    passing.dropout = [DropoutRun(0, 0.1583, 0.0841, 1.3), DropoutRun(1, 0.1201, 0.1301, 1.2)]
    text = render_results(passing)
    assert "| seed 0 | 0.1583 | 0.0841 | 1.3 |" in text
    assert "| **mean ± sd** | 0.1392 ± 0.0270 | **0.1071 ± 0.0325** | |" in text
    assert "Dropout had the lower test MSE in 1 of 2 seeds. The noise's variance, 0.09," in text
    assert "dropout's mean test MSE below the plain net's (503)" in lines_of(text, "- Checks:")[0]


def test_the_subset_table_averages_each_net_over_the_seeds(passing):
    passing.subsets = subset_runs(0, TESTS) + subset_runs(1, {**TESTS, "dropout": 0.905})
    text = render_results(passing)
    assert "| no remedy | 1,000 | 5 | 100.00 % | **88.70 %** | 11.30 | 0.4000 | 6 |" in text
    assert "| dropout | 1,000 | 5 | 100.00 % | **90.00 %** | 10.00 |" in text
    assert "| more data | 60,000 | 5 | 100.00 % | **98.00 %** | 2.00 |" in text
    assert "mean over seeds 0, 1." in text
    assert passing.failures() == []


def test_the_batchnorm_table_sits_beside_the_plain_net(passing):
    passing.batchnorm = [
        BatchNormRun(0, 697.84, 127.31, 12, 1.5),
        BatchNormRun(1, 688.2, 89.9, 12, 1),
    ]
    text = render_results(passing)
    assert "| seed 0 | 697.8 | 127.3 | 1.5 |" in text
    assert "| **mean ± sd** | 693.0 ± 6.8 | **108.6 ± 26.5** | |" in text
    assert "12 epochs" in text


def test_chapter_12_and_13_thresholds_are_named_when_missed(passing):
    passing.dropout = [DropoutRun(0, 0.12, 0.12, 1.0)]  # a tie fails
    tests = {**TESTS, "no remedy": 0.96, "both": 0.98}  # no overfitting; both ties more data
    passing.subsets = subset_runs(0, tests, train=1.0)
    passing.batchnorm = [BatchNormRun(3, 700.0, 100.0, 12, 1.0), BatchNormRun(4, 90.0, 90.0, 12, 1)]
    assert passing.failures() == [
        "dropout (503): mean test MSE 0.1200 ≥ the plain net's 0.1200",
        "MNIST subset: the plain MLP's gap 4.0 points < 5 (it did not overfit)",
        "MNIST subset: both 98.00 % ≥ more data's 98.00 %",
        "batch norm (504) seed 4: test MSE 90.0 ≥ the plain net's 90.0",
    ]


def transfer_study(scratch: float, frozen: float, tuned: float) -> TransferStudy:
    runs = [
        TransferRun(
            seed,
            dict(zip(WAYS, (scratch + seed / 100, frozen, tuned + seed / 100), strict=True)),
            dict(zip(WAYS, (29.0, 7.0, 33.0), strict=True)),
        )
        for seed in (0, 1)
    ]
    return TransferStudy(6, 300.0, 0.785, runs)


def test_the_transfer_table_has_each_way_per_seed_and_the_pretraining(passing):
    passing.transfer = transfer_study(0.6574, 0.627, 0.7116)
    text = render_results(passing)
    assert "6 epochs, 300 s, seed 0): 78.50 % on their test images" in text
    assert "| seed 0 | 65.74 % (29 s) | 62.70 % (7 s) | 71.16 % (33 s) |" in text
    assert "| **mean ± sd** | 66.24 ± 0.71 % | 62.70 ± 0.00 % | 71.66 ± 0.71 % |" in text
    assert ", 438 s for Chapter 15's transfer learning" in text  # 300 + 2 x (29 + 7 + 33)
    assert "fine-tuning beats training from scratch" in text and passing.failures() == []


def test_transfer_fails_when_fine_tuning_does_not_beat_from_scratch(passing):
    passing.transfer = transfer_study(0.70, 0.60, 0.70)
    assert passing.failures() == ["transfer: fine-tuned 70.50 % does not beat from scratch 70.50 %"]
