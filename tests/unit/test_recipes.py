"""Unit tests of course_utils.recipes: the seeds' settings, real-data loading, the machine line."""

from __future__ import annotations

import platform
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from course_utils.data import is_standin
from course_utils.fastpath import as_tensors
from course_utils.models import BlitzNet, MnistConvNet
from course_utils.recipes import BLITZ, MNIST_CONVNET, ROW_LSTM, Splits, load_real, machine


def test_the_blitz_recipe_is_seed_000s():
    model = BLITZ.make_model()
    optimizer = BLITZ.make_optimizer(model)
    assert isinstance(model, BlitzNet) and isinstance(optimizer, torch.optim.SGD)
    assert optimizer.defaults["lr"] == 0.001 and optimizer.defaults["momentum"] == 0.9
    assert (BLITZ.batch_size, BLITZ.epochs, BLITZ.train_images) == (4, 2, 50_000)
    logits, targets = torch.randn(4, 10), torch.tensor([0, 3, 9, 1])
    assert torch.equal(BLITZ.loss_fn(logits, targets), F.cross_entropy(logits, targets))


def test_the_mnist_recipe_is_seed_003s():
    model = MNIST_CONVNET.make_model()
    optimizer = MNIST_CONVNET.make_optimizer(model)
    assert isinstance(model, MnistConvNet) and isinstance(optimizer, torch.optim.Adam)
    assert optimizer.defaults["lr"] == 0.001  # the seed's optim.Adam(model.parameters())
    assert (MNIST_CONVNET.batch_size, MNIST_CONVNET.epochs) == (512, 20)
    assert (MNIST_CONVNET.mean, MNIST_CONVNET.std) == ((0.1307,), (0.3081,))


def test_the_lstm_recipe_is_morvans_402():
    model = ROW_LSTM.make_model()
    optimizer = ROW_LSTM.make_optimizer(model)
    assert isinstance(model.rnn, torch.nn.LSTM) and model.rnn.hidden_size == 64
    assert isinstance(optimizer, torch.optim.Adam) and optimizer.defaults["lr"] == 0.01
    assert (ROW_LSTM.batch_size, ROW_LSTM.epochs, ROW_LSTM.train_images) == (64, 1, 60_000)
    x, y = as_tensors(ROW_LSTM.loader(train=False), ROW_LSTM.mean, ROW_LSTM.std)
    assert x.min() >= 0 and x.max() <= 1  # ToTensor only: pixels in [0, 1]
    loss = ROW_LSTM.loss_fn(model(x[:64].squeeze(1)), y[:64])  # (64,28,28): rows as steps
    loss.backward()
    assert loss.item() > 0


@pytest.mark.parametrize("recipe", [BLITZ, MNIST_CONVNET], ids=["blitz", "mnist"])
def test_each_recipe_trains_its_network_on_its_data(recipe):
    dataset = recipe.loader(train=False)
    x, y = as_tensors(dataset, recipe.mean, recipe.std)
    model = recipe.make_model()
    loss = recipe.loss_fn(model(x[: recipe.batch_size]), y[: recipe.batch_size])
    loss.backward()  # the shapes, channels and loss fit together
    assert loss.item() > 0


def test_blitz_normalisation_maps_pixels_onto_minus_one_to_one():
    x, _ = as_tensors(BLITZ.loader(train=False), BLITZ.mean, BLITZ.std)
    assert x.min() >= -1 and x.max() <= 1


def test_only_the_standin_here_gives_none_and_prints_nothing(capsys):
    assert load_real(BLITZ.loader) is None  # the unit tests have no data and no network
    assert capsys.readouterr().out == ""


def test_the_standin_is_returned_when_allowed(capsys):
    splits = load_real(MNIST_CONVNET.loader, allow_standin=True)
    assert isinstance(splits, Splits)
    assert is_standin(splits.train) and is_standin(splits.test)
    assert len(splits.train) > len(splits.test)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "MNIST train" in out[0] and "MNIST test" in out[1]


def fake_loader(calls: list[bool]):
    def loader(train: bool = True, transform=None):
        calls.append(train)
        print(f"[data] fake {'train' if train else 'test'}")
        return SimpleNamespace(source="cache", train=train)

    return loader


def test_real_data_is_loaded_once_per_split_and_its_lines_printed(capsys):
    calls: list[bool] = []
    train, test = load_real(fake_loader(calls))
    assert (train.train, test.train) == (True, False)
    assert calls == [True, False]
    assert capsys.readouterr().out == "[data] fake train\n[data] fake test\n"


def test_the_test_split_is_skipped_when_not_wanted():
    calls: list[bool] = []
    splits = load_real(fake_loader(calls), test=False)
    assert splits.test is None and calls == [True]


def test_the_machine_line_names_cores_threads_and_versions():
    line = machine()
    assert "\n" not in line
    assert f"torch uses {torch.get_num_threads()} threads" in line
    assert f"torch {torch.__version__}" in line and f"Python {platform.python_version()}" in line
