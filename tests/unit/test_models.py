"""Unit tests of course_utils.models: output shapes, parameter counts, the widened blitz net,
and the input-shape check that says what was expected, what came, and the fix."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from course_utils.models import BlitzNet, MnistConvNet, RowReader, count_parameters


def blitz_parameters(c1: int, c2: int) -> int:
    """The blitz net's parameter count, layer by layer (weights + biases)."""
    conv1 = 3 * c1 * 5 * 5 + c1
    conv2 = c1 * c2 * 5 * 5 + c2
    fc1 = c2 * 5 * 5 * 120 + 120
    fc2 = 120 * 84 + 84
    fc3 = 84 * 10 + 10
    return conv1 + conv2 + fc1 + fc2 + fc3


def test_blitz_output_shape() -> None:
    torch.manual_seed(0)
    out = BlitzNet()(torch.randn(4, 3, 32, 32))
    assert out.shape == (4, 10)


def test_blitz_parameter_count_is_the_tutorials() -> None:
    assert count_parameters(BlitzNet()) == blitz_parameters(6, 16) == 62_006


@pytest.mark.parametrize(("c1", "c2"), [(64, 128), (12, 32)])
def test_blitz_widened(c1: int, c2: int) -> None:
    model = BlitzNet(conv1_channels=c1, conv2_channels=c2)
    assert model.conv1.out_channels == c1
    assert model.conv2.in_channels == c1
    assert model.conv2.out_channels == c2
    assert model.fc1.in_features == c2 * 5 * 5
    assert count_parameters(model) == blitz_parameters(c1, c2)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_mnist_convnet_output_is_log_softmax() -> None:
    torch.manual_seed(0)
    out = MnistConvNet()(torch.randn(5, 1, 28, 28))
    assert out.shape == (5, 10)
    assert torch.allclose(out.exp().sum(dim=1), torch.ones(5), atol=1e-5)
    assert (out <= 0).all()


def test_mnist_convnet_parameter_count_and_layers() -> None:
    model = MnistConvNet()
    expected = {
        "conv1.weight": (10, 1, 5, 5),
        "conv1.bias": (10,),
        "conv2.weight": (20, 10, 3, 3),
        "conv2.bias": (20,),
        "fc1.weight": (500, 2000),
        "fc1.bias": (500,),
        "fc2.weight": (10, 500),
        "fc2.bias": (10,),
    }
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == expected
    assert count_parameters(model) == 260 + 1_820 + 1_000_500 + 5_010 == 1_007_590


def test_mnist_convnet_batch_of_one() -> None:
    assert MnistConvNet()(torch.zeros(1, 1, 28, 28)).shape == (1, 10)


def test_count_parameters_skips_frozen() -> None:
    model = BlitzNet()
    for p in model.fc3.parameters():
        p.requires_grad_(False)
    assert count_parameters(model) == 62_006 - (84 * 10 + 10)


# ------------------------------------------------------------------------- the input-shape check

BLITZ_MISTAKES = [
    ((3, 32, 32), r"x\.unsqueeze\(0\)"),  # one image, no batch dimension
    ((4, 32, 32), r"no channel dimension.*3 channels \(RGB\)"),
    ((4, 32, 32, 3), r"channels come last.*x\.permute\(0, 3, 1, 2\)"),
    ((4, 1, 32, 32), r"3 channels \(RGB\), these have 1"),
    ((4, 3, 28, 28), r"32×32 pixels, these are 28×28: resize"),
    ((32, 32), r"4 dimensions, this tensor has 2"),
    ((2, 4, 3, 32, 32), r"4 dimensions, this tensor has 5"),
]

MNIST_MISTAKES = [
    ((1, 28, 28), r"x\.unsqueeze\(0\)"),  # one image, no batch dimension
    ((5, 28, 28), r"without a channel dimension.*x\.unsqueeze\(1\)"),
    ((28, 28), r"x\.view\(1, 1, \*x\.shape\)"),
    ((5, 28, 28, 1), r"x\.permute\(0, 3, 1, 2\)"),
    ((5, 3, 28, 28), r"1 channel \(grey\), these have 3"),
    ((5, 1, 32, 32), r"28×28 pixels, these are 32×32: resize"),
]


@pytest.mark.parametrize(("c1", "c2"), [(6, 16), (64, 128)])
@pytest.mark.parametrize(("shape", "fix"), BLITZ_MISTAKES)
def test_blitz_rejects_a_wrong_shape_with_the_fix(c1, c2, shape, fix) -> None:
    with pytest.raises(ValueError, match=r"expects .* shaped \(N, 3, 32, 32\)") as caught:
        BlitzNet(c1, c2)(torch.zeros(shape))
    message = str(caught.value)
    assert f"got {shape}" in message
    assert re.search(fix, message), message


@pytest.mark.parametrize(("shape", "fix"), MNIST_MISTAKES)
def test_mnist_rejects_a_wrong_shape_with_the_fix(shape, fix) -> None:
    with pytest.raises(ValueError, match=r"expects .* shaped \(N, 1, 28, 28\)") as caught:
        MnistConvNet()(torch.zeros(shape))
    message = str(caught.value)
    assert f"got {shape}" in message
    assert re.search(fix, message), message


def test_the_suggested_fixes_work() -> None:
    assert BlitzNet()(torch.zeros(3, 32, 32).unsqueeze(0)).shape == (1, 10)
    assert BlitzNet()(torch.zeros(4, 32, 32, 3).permute(0, 3, 1, 2)).shape == (4, 10)
    assert MnistConvNet()(torch.zeros(5, 28, 28).unsqueeze(1)).shape == (5, 10)
    x = torch.zeros(28, 28)
    assert MnistConvNet()(x.view(1, 1, *x.shape)).shape == (1, 10)


def test_an_empty_batch_is_still_a_batch() -> None:
    assert BlitzNet()(torch.zeros(0, 3, 32, 32)).shape == (0, 10)
    assert MnistConvNet()(torch.zeros(0, 1, 28, 28)).shape == (0, 10)


@pytest.mark.parametrize(("kind", "gates"), [(nn.LSTM, 4), (nn.RNN, 1)])
def test_row_reader_reads_28_rows_into_10_logits(kind, gates) -> None:
    torch.manual_seed(0)
    model = RowReader(kind, hidden=64)
    assert model(torch.rand(5, 28, 28)).shape == (5, 10)
    recurrent = gates * (28 * 64 + 64 * 64 + 64 + 64)  # W_ih, W_hh, b_ih, b_hh per gate
    assert count_parameters(model) == recurrent + 64 * 10 + 10  # 24,714 for the LSTM


def test_row_reader_classifies_from_the_last_row_only() -> None:
    torch.manual_seed(0)
    model, x = RowReader(nn.LSTM, hidden=8), torch.rand(3, 28, 28)
    with torch.no_grad():
        output, _ = model.rnn(x)
        assert torch.equal(model(x), model.out(output[:, -1]))


@pytest.mark.parametrize(
    ("shape", "fix"),
    [((4, 1, 28, 28), "x.squeeze(1)"), ((28, 28), "28 rows of 28 pixels"), ((4, 28, 14), "got")],
)
def test_row_reader_rejects_a_wrong_shape_with_the_fix(shape, fix) -> None:
    with pytest.raises(ValueError, match=re.escape(str(shape))) as error:
        RowReader()(torch.rand(shape))
    assert "(N, 28, 28)" in str(error.value) and fix in str(error.value)
