"""Unit tests of course_utils.training: the shared loop, evaluation and its summaries."""

from __future__ import annotations

import math
import multiprocessing
import signal
from pathlib import Path

import pytest
import resume_worker  # tests/unit/resume_worker.py
import torch
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils.checkpoint import CheckpointError, load_checkpoint
from course_utils.fastpath import TensorBatches
from course_utils.toydata import two_clusters
from course_utils.training import (
    confusion_matrix,
    evaluate,
    fit,
    per_class_accuracy,
    predict,
    train_one_epoch,
)

HISTORY_KEYS = {"train_loss", "train_accuracy"}
TEST_KEYS = {"test_loss", "test_accuracy"}


def cluster_batches(seed: int = 0, shuffle: bool = True) -> TensorBatches:
    x, y = two_clusters(n_per_class=60, spread=0.7, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    return TensorBatches(x, y, batch_size=16, shuffle=shuffle, generator=generator)


def make_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Linear(2, 2)


def sign_model() -> nn.Module:
    """Logits (x0, x1): predicts the larger coordinate's index."""
    model = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))
    return model


# ------------------------------------------------------------------------------ train_one_epoch


def test_train_one_epoch_lowers_the_loss():
    model, batches = make_model(), cluster_batches()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    before = evaluate(model, cluster_batches(shuffle=False), loss_fn)
    results = [
        train_one_epoch(model, batches, optimizer, loss_fn, progress=False) for _ in range(5)
    ]
    assert model.training  # left in training mode
    after = evaluate(model, cluster_batches(shuffle=False), loss_fn)
    assert set(results[0]) == {"loss", "accuracy"}
    assert results[-1]["loss"] < results[0]["loss"]
    assert after["loss"] < before["loss"] / 2
    assert results[-1]["accuracy"] > 0.95


def test_train_one_epoch_reports_the_mean_over_examples():
    """With lr=0 nothing changes, so the epoch's numbers are the model's own loss/accuracy,
    averaged over examples (the last batch is smaller than the others)."""
    model = make_model(1)
    x, y = two_clusters(n_per_class=25, seed=3)  # 50 examples: batches of 16, 16, 16, 2
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    loss_fn = nn.CrossEntropyLoss()
    result = train_one_epoch(model, TensorBatches(x, y, 16), optimizer, loss_fn, progress=False)
    with torch.no_grad():
        logits = model(x)
    assert result["loss"] == pytest.approx(loss_fn(logits, y).item(), rel=1e-5)
    assert result["accuracy"] == pytest.approx((logits.argmax(1) == y).float().mean().item())


def test_train_one_epoch_is_plain_minibatch_sgd():
    """Same weights as a hand-written loop: zero the gradients, step once per batch, in order."""
    x, y = two_clusters(n_per_class=20, seed=4)
    batches = list(TensorBatches(x, y, batch_size=8))
    loss_fn = nn.CrossEntropyLoss()
    model, reference = make_model(2), make_model(2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    train_one_epoch(model, batches, optimizer, loss_fn, progress=False)
    reference_optimizer = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.5)
    for inputs, targets in batches:
        reference_optimizer.zero_grad()
        loss_fn(reference(inputs), targets).backward()
        reference_optimizer.step()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, reference.state_dict()[name])


def test_train_one_epoch_progress_bar_obeys_course_progress(monkeypatch, capsys):
    model, batches = make_model(), cluster_batches()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    train_one_epoch(model, batches, optimizer, loss_fn, progress=True, description="quiet")
    assert "quiet" not in capsys.readouterr().err
    monkeypatch.setenv("COURSE_PROGRESS", "1")
    train_one_epoch(model, batches, optimizer, loss_fn, progress=True, description="shown")
    assert "shown" in capsys.readouterr().err
    train_one_epoch(model, batches, optimizer, loss_fn, progress=False, description="off")
    assert "off" not in capsys.readouterr().err


# ----------------------------------------------------------------------------- predict/evaluate


def known_batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    x = torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, -1.0], [1.0, 4.0], [3.0, 2.0]])
    y = torch.tensor([0, 1, 1, 1, 0])  # the third is wrong: 4 of 5 right
    return [(x[:3], y[:3]), (x[3:], y[3:])]


def test_predict_shapes_and_values():
    model = sign_model()
    model.train()
    logits, predicted, targets = predict(model, known_batches())
    assert logits.shape == (5, 2)
    assert predicted.shape == (5,)
    assert targets.shape == (5,)
    assert predicted.tolist() == [0, 1, 0, 1, 0]
    assert targets.tolist() == [0, 1, 1, 1, 0]
    torch.testing.assert_close(logits[2], torch.tensor([5.0, -1.0]))
    assert not logits.requires_grad
    assert not model.training  # eval mode for prediction
    assert logits.device.type == "cpu"


def test_evaluate_accuracy_and_loss():
    model = sign_model()
    result = evaluate(model, known_batches())
    assert result == {"accuracy": pytest.approx(0.8)}
    loss_fn = nn.CrossEntropyLoss()
    result = evaluate(model, known_batches(), loss_fn)
    x = torch.cat([b[0] for b in known_batches()])
    y = torch.cat([b[1] for b in known_batches()])
    assert set(result) == {"accuracy", "loss"}
    assert result["loss"] == pytest.approx(loss_fn(x, y).item())
    assert isinstance(result["loss"], float)


def test_evaluate_does_not_change_the_model():
    model = make_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    evaluate(model, cluster_batches(), nn.CrossEntropyLoss())
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, before[name])


# -------------------------------------------------------------------------- confusion_matrix


def test_confusion_matrix_hand_made_example():
    predicted = torch.tensor([0, 1, 1, 2, 2, 2, 0])
    targets = torch.tensor([0, 1, 2, 2, 2, 0, 0])
    matrix = confusion_matrix(predicted, targets, num_classes=3)
    expected = torch.tensor([[2, 0, 1], [0, 1, 0], [0, 1, 2]])
    assert matrix.dtype == torch.int64
    torch.testing.assert_close(matrix, expected)


def test_confusion_matrix_with_absent_classes():
    matrix = confusion_matrix(torch.tensor([1, 1]), torch.tensor([0, 1]), num_classes=4)
    assert matrix.shape == (4, 4)
    assert matrix.tolist() == [[0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]


def test_confusion_matrix_matches_scikit_learn():
    generator = torch.Generator().manual_seed(0)
    targets = torch.randint(0, 10, (500,), generator=generator)
    predicted = torch.where(
        torch.rand(500, generator=generator) < 0.6,
        targets,
        torch.randint(0, 10, (500,), generator=generator),
    )
    matrix = confusion_matrix(predicted, targets, 10)
    expected = sk_confusion_matrix(targets.numpy(), predicted.numpy(), labels=list(range(10)))
    assert matrix.tolist() == expected.tolist()
    assert matrix.sum() == 500


# ------------------------------------------------------------------------ per_class_accuracy


def test_per_class_accuracy():
    matrix = torch.tensor([[2, 0, 1], [0, 1, 0], [0, 1, 2]])
    torch.testing.assert_close(per_class_accuracy(matrix), torch.tensor([2 / 3, 1.0, 2 / 3]))


def test_per_class_accuracy_nan_for_an_empty_class():
    matrix = torch.tensor([[3, 1, 0], [0, 0, 0], [1, 0, 4]])
    accuracy = per_class_accuracy(matrix)
    assert accuracy.dtype == torch.float32
    assert accuracy[0].item() == pytest.approx(0.75)
    assert math.isnan(accuracy[1].item())
    assert accuracy[2].item() == pytest.approx(0.8)


# ------------------------------------------------------------------------------------------ fit


def test_fit_history_without_test_batches(capsys):
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    history = fit(model, cluster_batches(), optimizer, nn.CrossEntropyLoss(), epochs=3)
    assert set(history) == HISTORY_KEYS
    assert all(len(values) == 3 for values in history.values())
    assert history["train_loss"][-1] < history["train_loss"][0]
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch  1", "epoch  2", "epoch  3"]
    assert "test" not in lines[0]


def test_fit_history_with_test_batches(capsys):
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    test = cluster_batches(seed=1, shuffle=False)
    history = fit(model, cluster_batches(), optimizer, nn.CrossEntropyLoss(), 2, test_batches=test)
    assert set(history) == HISTORY_KEYS | TEST_KEYS
    assert all(len(values) == 2 for values in history.values())
    assert history["test_accuracy"][-1] == pytest.approx(evaluate(model, test)["accuracy"])
    assert all(0 <= value <= 1 for value in history["test_accuracy"])
    assert "| test loss" in capsys.readouterr().out.splitlines()[0]


def test_fit_quiet_and_zero_epochs(capsys):
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    history = fit(model, cluster_batches(), optimizer, nn.CrossEntropyLoss(), 2, verbose=False)
    assert len(history["train_loss"]) == 2
    assert fit(model, cluster_batches(), optimizer, nn.CrossEntropyLoss(), 0) == {
        "train_loss": [],
        "train_accuracy": [],
    }
    assert capsys.readouterr().out == ""


def test_fit_steps_the_scheduler_once_per_epoch():
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    fit(
        model,
        cluster_batches(),
        optimizer,
        nn.CrossEntropyLoss(),
        3,
        scheduler=scheduler,
        verbose=False,
    )
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**3)


def test_fit_saves_a_checkpoint_every_epoch(tmp_path):
    path = tmp_path / "run" / "model.pt"
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    history = fit(
        model,
        cluster_batches(),
        optimizer,
        nn.CrossEntropyLoss(),
        2,
        checkpoint=path,
        verbose=False,
    )
    state = load_checkpoint(path, make_model(5))
    assert state["epoch"] == 2
    assert state["history"] == history
    for name, value in model.state_dict().items():
        torch.testing.assert_close(state["model"][name], value)


def test_fit_resumes_from_its_checkpoint(tmp_path, capsys):
    path = tmp_path / "model.pt"
    loss_fn = nn.CrossEntropyLoss()
    model = make_model(0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    first = fit(model, cluster_batches(), optimizer, loss_fn, 2, checkpoint=path)
    trained = {k: v.clone() for k, v in model.state_dict().items()}
    capsys.readouterr()

    fresh = make_model(1)  # other initial weights: they must be replaced by the checkpoint's
    fresh_optimizer = torch.optim.SGD(fresh.parameters(), lr=0.05, momentum=0.9)
    # Nothing left to do at epochs=2: weights come back, no epoch runs.
    same = fit(fresh, cluster_batches(), fresh_optimizer, loss_fn, 2, checkpoint=path)
    assert same == first
    for name, value in fresh.state_dict().items():
        torch.testing.assert_close(value, trained[name])
    assert capsys.readouterr().out.splitlines() == [f"Resumed from {path} after epoch 2"]

    history = fit(fresh, cluster_batches(), fresh_optimizer, loss_fn, 3, checkpoint=path)
    assert all(len(values) == 3 for values in history.values())
    assert history["train_loss"][:2] == first["train_loss"]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Resumed from {path} after epoch 2"
    assert len(lines) == 2
    assert lines[1].startswith("epoch  3:")
    assert load_checkpoint(path, make_model())["epoch"] == 3


def test_fit_resumes_the_learning_rate_schedule(tmp_path):
    path = tmp_path / "scheduled.pt"

    def run(epochs: int) -> torch.optim.Optimizer:
        model = make_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        fit(
            model,
            cluster_batches(),
            optimizer,
            nn.CrossEntropyLoss(),
            epochs,
            scheduler=scheduler,
            checkpoint=path,
            verbose=False,
        )
        return optimizer

    run(2)
    resumed = run(3)  # one more epoch, continuing the schedule rather than restarting it
    assert resumed.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**3)


def test_fit_refuses_the_checkpoint_of_another_model(tmp_path):
    path = tmp_path / "model.pt"
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    fit(
        model,
        cluster_batches(),
        optimizer,
        nn.CrossEntropyLoss(),
        1,
        checkpoint=path,
        verbose=False,
    )
    other = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    other_optimizer = torch.optim.SGD(other.parameters(), lr=0.05)
    with pytest.raises(CheckpointError, match="Delete"):
        fit(other, cluster_batches(), other_optimizer, nn.CrossEntropyLoss(), 2, checkpoint=path)


# ------------------------------------------------------------------------- fit: exact resume


def run_worker(checkpoint: Path, result: Path, kill_at: int | None = None) -> int | None:
    """Run resume_worker.train in a forked process; return its exit code (-9: SIGKILLed)."""
    process = multiprocessing.get_context("fork").Process(
        target=resume_worker.train, args=(str(checkpoint), str(result), kill_at)
    )
    process.start()
    process.join(timeout=60)
    if process.is_alive():  # hung: stop it, and let the test fail on its exit code
        process.kill()
        process.join()
    return process.exitcode


def test_fit_resumes_exactly_after_the_process_is_killed_mid_epoch(tmp_path):
    """A run SIGKILLed in the middle of epoch 3, then rerun, ends exactly as one never stopped:
    the same weights (dropout masks and batch order resume too) and the same history."""
    path, result = tmp_path / "killed.pt", tmp_path / "killed-result.pt"
    assert run_worker(path, result, kill_at=2 * 4 + 2) == -signal.SIGKILL
    assert not result.exists()
    assert torch.load(path, weights_only=True)["epoch"] == 2  # epoch 3 died with the process
    assert [p.name for p in tmp_path.iterdir()] == ["killed.pt"]

    assert run_worker(path, result) == 0
    assert run_worker(tmp_path / "reference.pt", tmp_path / "reference-result.pt") == 0
    resumed = torch.load(result, weights_only=True)
    expected = torch.load(tmp_path / "reference-result.pt", weights_only=True)
    assert resumed["output"].startswith(f"Resumed from {path} after epoch 2\n")
    assert resumed["history"] == expected["history"]
    assert len(expected["history"]["train_loss"]) == 4
    assert resumed["weights"].keys() == expected["weights"].keys()
    for name, value in expected["weights"].items():
        assert torch.equal(resumed["weights"][name], value), name


def dropout_run(epochs: int, checkpoint: Path | None) -> tuple[nn.Module, dict[str, list[float]]]:
    """A fresh, seeded run on a shuffling DataLoader, as a new process would start it."""
    x, y = two_clusters(n_per_class=20, spread=1.0, seed=5)
    loader = DataLoader(
        TensorDataset(x, y), batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(3)
    )
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    history = fit(model, loader, optimizer, loss_fn, epochs, checkpoint=checkpoint, verbose=False)
    return model, history


def test_fit_resumes_exactly_with_a_shuffling_dataloader(tmp_path):
    path = tmp_path / "loader.pt"
    reference, expected = dropout_run(4, None)
    dropout_run(2, path)
    torch.manual_seed(123)  # whatever the global state is before the rerun: it is restored
    resumed, history = dropout_run(4, path)
    assert history == expected
    for name, value in reference.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], value), name


# ------------------------------------------------------ fit: refusing a checkpoint that differs


class CountingLoss(nn.CrossEntropyLoss):
    """Cross-entropy that counts its calls: zero means no training (or testing) happened."""

    calls = 0

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return super().forward(outputs, targets)


def first_run(path: Path, epochs: int = 1, **options) -> None:
    model = make_model()
    optimizer = options.pop("optimizer", None) or torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = options.pop("scheduler", None)
    if scheduler == "step":
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    fit(
        model,
        cluster_batches(),
        optimizer,
        nn.CrossEntropyLoss(),
        epochs,
        scheduler=scheduler,
        checkpoint=path,
        verbose=False,
        **options,
    )


def assert_refused_before_training(path: Path, *words: str, **call) -> None:
    """The rerun ``fit(**call)`` raises CheckpointError naming ``path`` and ``words``, and neither
    trains, nor loads anything into the model, nor touches the checkpoint."""
    model = call.pop("model", None) or make_model(7)
    optimizer = call.pop("optimizer", None) or torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = call.pop("scheduler", None)
    if scheduler == "step":
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    saved = path.read_bytes()
    loss_fn = CountingLoss()
    with pytest.raises(CheckpointError) as caught:
        fit(
            model,
            cluster_batches(),
            optimizer,
            loss_fn,
            call.pop("epochs", 2),
            scheduler=scheduler,
            checkpoint=path,
            **call,
        )
    message = str(caught.value)
    assert str(path) in message
    assert "delete" in message.lower()
    for word in words:
        assert word in message
    assert loss_fn.calls == 0
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name
    assert path.read_bytes() == saved


def test_fit_refuses_a_checkpoint_of_another_optimizer(tmp_path):
    path = tmp_path / "sgd.pt"
    first_run(path)
    model = make_model(7)
    adam = torch.optim.Adam(model.parameters(), lr=0.01)
    assert_refused_before_training(path, "SGD", "Adam", model=model, optimizer=adam)


def test_fit_refuses_to_add_test_batches_the_checkpoint_has_no_entries_for(tmp_path):
    path = tmp_path / "no-test.pt"
    first_run(path)
    test = cluster_batches(seed=1, shuffle=False)
    assert_refused_before_training(path, "test_batches", "no test entries", test_batches=test)


def test_fit_refuses_to_drop_the_test_batches_of_the_checkpoint(tmp_path):
    path = tmp_path / "with-test.pt"
    first_run(path, test_batches=cluster_batches(seed=1, shuffle=False))
    assert_refused_before_training(path, "test_batches", "test entries")


def test_fit_refuses_fewer_epochs_than_the_checkpoint_holds(tmp_path):
    path = tmp_path / "three.pt"
    first_run(path, epochs=3)
    assert_refused_before_training(path, "holds 3 epochs", "epochs=2", epochs=2)


def test_fit_refuses_a_scheduler_the_checkpoint_has_none_for(tmp_path):
    path = tmp_path / "constant.pt"
    first_run(path)
    assert_refused_before_training(
        path, "without a learning-rate scheduler", "StepLR", scheduler="step"
    )


def test_fit_refuses_to_drop_the_scheduler_of_the_checkpoint(tmp_path):
    path = tmp_path / "scheduled.pt"
    first_run(path, scheduler="step")
    assert_refused_before_training(path, "StepLR", "none was given")
