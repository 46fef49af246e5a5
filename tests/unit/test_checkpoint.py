"""Unit tests of course_utils.checkpoint: round trips, and refusing what is not ours."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler

from course_utils.checkpoint import (
    CheckpointError,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)

EXECUTED: list[str] = []


def _record(tag: str) -> str:
    EXECUTED.append(tag)
    return tag


class Payload:
    """Unpickling this runs ``_record``: weights_only loading must refuse to."""

    def __reduce__(self):
        return (_record, ("unpickled",))


class NetA(nn.Module):
    def __init__(self, width: int = 4):
        super().__init__()
        self.fc = nn.Linear(3, width)
        self.out = nn.Linear(width, 2)

    def forward(self, x):
        return self.out(torch.relu(self.fc(x)))


class NetB(NetA):
    """Same layers and shapes as NetA, other class."""


def trained(seed: int = 0) -> tuple[nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(seed)
    model = NetA()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.randn(8, 3)).pow(2).mean().backward()
        optimizer.step()
    return model, optimizer


def weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.clone() for name, value in model.state_dict().items()}


def assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name])


def assert_names_file_and_fix(error: pytest.ExceptionInfo, path) -> None:
    message = str(error.value)
    assert str(path) in message
    assert "delete" in message.lower()


# ---------------------------------------------------------------------------------- round trip


def test_round_trip_restores_weights_and_optimizer(tmp_path):
    path = tmp_path / "ckpt.pt"
    model, optimizer = trained(0)
    history = {"train_loss": [0.9, 0.5], "train_accuracy": [0.5, 0.75]}
    save_checkpoint(path, model, optimizer, epoch=2, history=history)

    fresh, fresh_optimizer = trained(1)
    state = load_checkpoint(path, fresh, fresh_optimizer)
    assert state["epoch"] == 2
    assert state["history"] == history
    assert state["model_class"] == "NetA"
    assert_same_weights(weights(fresh), weights(model))
    saved, loaded = optimizer.state_dict(), fresh_optimizer.state_dict()
    assert loaded["param_groups"] == saved["param_groups"]
    for key, values in saved["state"].items():
        assert loaded["state"][key]["step"] == values["step"]
        torch.testing.assert_close(loaded["state"][key]["exp_avg"], values["exp_avg"])
        torch.testing.assert_close(loaded["state"][key]["exp_avg_sq"], values["exp_avg_sq"])

    # Training goes on exactly as it would have without the save/load.
    batch = torch.randn(8, 3, generator=torch.Generator().manual_seed(9))
    for net, opt in ((model, optimizer), (fresh, fresh_optimizer)):
        opt.zero_grad()
        net(batch).pow(2).mean().backward()
        opt.step()
    assert_same_weights(weights(fresh), weights(model))


def test_save_creates_folders_atomically_and_accepts_str_paths(tmp_path):
    path = tmp_path / "deep" / "er" / "ckpt.pt"
    model, optimizer = trained()
    save_checkpoint(str(path), model, optimizer, 1, {})
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["ckpt.pt"]  # no .partial left behind
    save_checkpoint(path, model, optimizer, 2, {})  # overwriting is fine
    assert load_checkpoint(str(path), NetA())["epoch"] == 2


def test_without_optimizer(tmp_path):
    path = tmp_path / "ckpt.pt"
    model, _ = trained()
    save_checkpoint(path, model, None, 1, {"train_loss": [1.0]})
    fresh, fresh_optimizer = trained(1)
    before = fresh_optimizer.state_dict()["state"][0]["exp_avg"].clone()
    state = load_checkpoint(path, fresh, fresh_optimizer)
    assert state["optimizer"] is None
    torch.testing.assert_close(fresh_optimizer.state_dict()["state"][0]["exp_avg"], before)
    assert_same_weights(weights(fresh), weights(model))
    # and loading without an optimizer is fine too
    save_checkpoint(path, model, trained()[1], 1, {})
    load_checkpoint(path, NetA())


# ---------------------------------------------------------------------------------- refusals


def test_other_model_class_is_refused(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, trained()[0], None, 1, {})
    other = NetB()
    before = weights(other)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path, other)
    assert_names_file_and_fix(caught, path)
    assert "NetA" in str(caught.value)
    assert "NetB" in str(caught.value)
    assert_same_weights(weights(other), before)  # nothing was loaded


def test_same_class_other_shapes_is_refused(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, NetA(width=4), None, 1, {})
    other = NetA(width=5)
    before = weights(other)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path, other)
    assert_names_file_and_fix(caught, path)
    assert "fc.weight" in str(caught.value)
    assert_same_weights(weights(other), before)


def test_same_class_other_layers_is_refused(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, nn.Sequential(nn.Linear(2, 2)), None, 1, {})
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path, nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)))
    assert_names_file_and_fix(caught, path)
    assert "2.weight" in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [b"", b"this is not a checkpoint", pickle.dumps({"model": {}}, protocol=2)[:-3]],
    ids=["empty", "text", "broken-pickle"],
)
def test_garbage_file_is_refused(tmp_path, content):
    path = tmp_path / "ckpt.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="not a readable checkpoint") as caught:
        load_checkpoint(path, NetA())
    assert_names_file_and_fix(caught, path)
    assert caught.value.__cause__ is not None


def test_truncated_checkpoint_is_refused(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, trained()[0], trained()[1], 1, {})
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path, NetA())
    assert_names_file_and_fix(caught, path)


def test_missing_file_is_refused(tmp_path):
    path = tmp_path / "missing.pt"
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path, NetA())
    assert_names_file_and_fix(caught, path)


@pytest.mark.parametrize(
    "content", [[1, 2, 3], {"weights": {}}, torch.zeros(3)], ids=["list", "no-model", "tensor"]
)
def test_other_torch_files_are_refused(tmp_path, content):
    path = tmp_path / "ckpt.pt"
    torch.save(content, path)
    with pytest.raises(CheckpointError, match="not a checkpoint written by save_checkpoint") as e:
        load_checkpoint(path, NetA())
    assert_names_file_and_fix(e, path)


def test_pickled_code_is_refused_unexecuted(tmp_path):
    path = tmp_path / "ckpt.pt"
    model = NetA()
    torch.save(
        {"model_class": "NetA", "model": model.state_dict(), "epoch": 1, "extra": Payload()}, path
    )
    EXECUTED.clear()
    target = NetA()
    before = weights(target)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path, target)
    assert_names_file_and_fix(caught, path)
    assert EXECUTED == []  # the payload never ran
    assert_same_weights(weights(target), before)
    # (the same file loaded without weights_only does run it: the test's payload is real)
    torch.load(path, weights_only=False)
    assert EXECUTED == ["unpickled"]


def test_load_uses_weights_only_on_the_cpu(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, NetA(), None, 1, {})
    seen = {}
    real_load = torch.load

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    load_checkpoint(path, NetA())
    assert seen["weights_only"] is True
    assert str(seen["map_location"]) == "cpu"


def test_scheduler_state_round_trips(tmp_path):
    model = NetA()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.1)
    for _ in range(2):
        optimizer.step()
        scheduler.step()
    path = tmp_path / "sched.pt"
    save_checkpoint(path, model, optimizer, 2, {}, scheduler)

    fresh = NetA()
    fresh_optimizer = torch.optim.SGD(fresh.parameters(), lr=1.0)
    fresh_scheduler = torch.optim.lr_scheduler.StepLR(fresh_optimizer, step_size=1, gamma=0.1)
    load_checkpoint(path, fresh, fresh_optimizer, fresh_scheduler)
    assert fresh_scheduler.last_epoch == 2
    assert fresh_optimizer.param_groups[0]["lr"] == pytest.approx(0.01)


# ------------------------------------------------------------------------------ random states


def test_random_states_round_trip_and_load_with_weights_only(tmp_path):
    """The global random state and the batch generator's come back: the next draws (dropout
    masks, batch order) are those the saving run would have made."""
    path = tmp_path / "ckpt.pt"
    model, optimizer = trained()
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
    generator = torch.Generator().manual_seed(4)
    torch.randperm(10, generator=generator)  # some state, not just the seed's
    save_checkpoint(path, model, optimizer, 1, {"train_loss": [1.0]}, scheduler, generator)
    next_global, next_order = torch.rand(5), torch.randperm(10, generator=generator)

    raw = torch.load(path, weights_only=True)  # every entry is a tensor or a plain value
    assert raw["rng"]["cpu"].dtype == torch.uint8
    torch.manual_seed(99)
    other = torch.Generator().manual_seed(99)
    fresh, fresh_optimizer = trained(1)
    fresh_scheduler = torch.optim.lr_scheduler.StepLR(fresh_optimizer, step_size=1)
    load_checkpoint(
        path, fresh, fresh_optimizer, fresh_scheduler, generator=other, restore_random_state=True
    )
    assert torch.equal(torch.rand(5), next_global)
    assert torch.equal(torch.randperm(10, generator=other), next_order)


def test_the_global_random_state_is_left_alone_unless_asked(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, NetA(), None, 1, {})
    target = NetA()
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    load_checkpoint(path, target)  # loading weights to use them does not reseed anything
    assert torch.equal(torch.rand(3), expected)


def test_resuming_without_saved_random_states_is_refused(tmp_path):
    path = tmp_path / "old.pt"
    model = NetA()
    torch.save({"model_class": "NetA", "model": model.state_dict(), "epoch": 1}, path)
    load_checkpoint(path, NetA())  # its weights still load
    with pytest.raises(CheckpointError, match="no random states") as caught:
        load_checkpoint(path, NetA(), restore_random_state=True)
    assert_names_file_and_fix(caught, path)


def test_resuming_without_the_generator_that_was_saved_is_refused(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, NetA(), None, 1, {}, generator=torch.Generator().manual_seed(0))
    target = NetA()
    before = weights(target)
    with pytest.raises(CheckpointError, match="shuffling generator") as caught:
        load_checkpoint(path, target, restore_random_state=True)
    assert_names_file_and_fix(caught, path)
    assert_same_weights(weights(target), before)


# ------------------------------------------------------------------- optimizer and scheduler


def test_another_optimizer_class_is_refused(tmp_path):
    path = tmp_path / "adam.pt"
    model, adam = trained()
    save_checkpoint(path, model, adam, 3, {})
    target = NetA()
    sgd = torch.optim.SGD(target.parameters(), lr=0.1, momentum=0.9)
    before, before_groups = weights(target), sgd.state_dict()["param_groups"]
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path, target, sgd)
    assert_names_file_and_fix(caught, path)
    assert "Adam" in str(caught.value)
    assert "SGD" in str(caught.value)
    assert_same_weights(weights(target), before)  # nothing was loaded
    assert sgd.state_dict()["param_groups"] == before_groups


def with_step_lr(model: nn.Module) -> tuple[torch.optim.Optimizer, LRScheduler]:
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    return optimizer, torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.1)


def test_another_scheduler_class_is_refused(tmp_path):
    path = tmp_path / "step.pt"
    model = NetA()
    optimizer, scheduler = with_step_lr(model)
    save_checkpoint(path, model, optimizer, 2, {}, scheduler)
    target = NetA()
    optimizer = torch.optim.SGD(target.parameters(), lr=1.0)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path, target, optimizer, cosine)
    assert_names_file_and_fix(caught, path)
    assert "StepLR" in str(caught.value)
    assert "CosineAnnealingLR" in str(caught.value)
    assert cosine.last_epoch == 0


def test_a_scheduler_the_checkpoint_has_no_state_for_is_refused(tmp_path):
    path = tmp_path / "constant.pt"
    model = NetA()
    save_checkpoint(path, model, torch.optim.SGD(model.parameters(), lr=1.0), 2, {})
    target = NetA()
    optimizer, scheduler = with_step_lr(target)
    with pytest.raises(CheckpointError, match="without a learning-rate scheduler") as caught:
        load_checkpoint(path, target, optimizer, scheduler)
    assert_names_file_and_fix(caught, path)
    assert "StepLR" in str(caught.value)


# ------------------------------------------------------------------------------- atomic save


def test_two_writers_never_share_a_temporary_file(tmp_path, monkeypatch):
    """Writer B saves, start to end, while writer A's file is written but not yet renamed: both
    succeed, and the file holds the last one renamed (A's), whole."""
    path = tmp_path / "ckpt.pt"
    real_save = torch.save
    written: list[Path] = []

    def interleaved(obj, file, *args, **kwargs):
        written.append(Path(getattr(file, "name", file)))
        real_save(obj, file, *args, **kwargs)
        if len(written) == 1:
            save_checkpoint(path, NetA(width=5), None, 2, {"writer": [2.0]})

    monkeypatch.setattr(torch, "save", interleaved)
    save_checkpoint(path, NetA(width=4), None, 1, {"writer": [1.0]})
    monkeypatch.undo()
    assert len(written) == 2
    assert written[0] != written[1]
    assert all(name.parent == tmp_path and name != path for name in written)
    assert read_checkpoint(path)["history"] == {"writer": [1.0]}
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]


def test_a_failed_save_keeps_the_old_checkpoint_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, NetA(), None, 1, {"train_loss": [1.0]})
    good = path.read_bytes()
    real_save = torch.save

    def disk_full(obj, file, *args, **kwargs):
        real_save(obj, file, *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, NetA(), None, 2, {"train_loss": [1.0, 0.5]})
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]
