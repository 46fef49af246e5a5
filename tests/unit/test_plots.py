"""Unit tests of course_utils.plots: image grids, training curves, confusion matrices.

Each helper draws one figure, shows it and returns None; the tests take the figure from pyplot.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.colors import same_color
from matplotlib.figure import Figure
from torchvision import transforms

from course_utils.plots import (
    plot_confusion_matrix,
    plot_history,
    show_images,
    unnormalize,
)

MEAN, STD = [0.4, 0.5, 0.6], [0.2, 0.25, 0.3]


@pytest.fixture(autouse=True)
def shown(monkeypatch):
    """Count plt.show() calls: each picture shows itself once (Agg's show would only warn)."""
    calls = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: calls.append(1))
    return calls


def draw(helper, *args, **kwargs) -> Figure:
    """Call a plotting helper; check it returned None and drew exactly one figure; return it."""
    before = set(plt.get_fignums())
    assert helper(*args, **kwargs) is None  # a notebook cell reads `show_images(...)`, no echo
    new = set(plt.get_fignums()) - before
    assert len(new) == 1, new
    return plt.figure(new.pop())


def axes_with_images(figure: Figure) -> list:
    return [axis for axis in figure.axes if axis.images]


def pixels(figure: Figure, index: int = 0) -> np.ndarray:
    return np.asarray(axes_with_images(figure)[index].images[0].get_array())


# -------------------------------------------------------------------------------- unnormalize


def test_unnormalize_inverts_normalize():
    images = torch.rand(4, 3, 5, 5, generator=torch.Generator().manual_seed(0))
    normalised = transforms.Normalize(MEAN, STD)(images)
    assert not torch.allclose(normalised, images)
    torch.testing.assert_close(unnormalize(normalised, MEAN, STD), images)


def test_unnormalize_single_image_and_dtype():
    image = torch.rand(3, 4, 4, dtype=torch.float64)
    normalised = transforms.Normalize(MEAN, STD)(image)
    restored = unnormalize(normalised, MEAN, STD)
    assert restored.shape == (3, 4, 4)
    assert restored.dtype == torch.float64
    torch.testing.assert_close(restored, image)


def test_unnormalize_grey_with_one_value():
    image = torch.zeros(2, 1, 3, 3)
    torch.testing.assert_close(
        unnormalize(image, [0.1307], [0.3081]), torch.full_like(image, 0.1307)
    )


# -------------------------------------------------------------------------------- show_images


def test_show_images_grid_and_titles(shown):
    images = torch.rand(10, 1, 8, 8)
    figure = draw(
        show_images, images, labels=list(range(10)), classes=[f"c{i}" for i in range(10)], ncols=4
    )
    assert len(figure.axes) == 12  # 3 rows of 4
    drawn = axes_with_images(figure)
    assert len(drawn) == 10
    assert drawn == figure.axes[:10]
    assert [axis.get_title() for axis in drawn] == [f"c{i}" for i in range(10)]
    assert all(not axis.axison for axis in figure.axes)  # no ticks or frames
    assert drawn[0].images[0].get_cmap().name == "gray"
    assert shown == [1]


def test_show_images_ncols_is_capped_by_the_count():
    figure = draw(show_images, torch.rand(3, 3, 6, 6), ncols=8)
    assert len(figure.axes) == 3
    assert len(axes_with_images(figure)) == 3
    assert all(axis.get_title() == "" for axis in figure.axes)  # no labels: no titles


def test_show_images_rgb_pixels_and_list_input():
    images = [torch.rand(3, 6, 7) for _ in range(2)]
    figure = draw(show_images, images, labels=torch.tensor([1, 0]))
    drawn = axes_with_images(figure)
    assert len(drawn) == 2
    shown_pixels = np.asarray(drawn[1].images[0].get_array())
    assert shown_pixels.shape == (6, 7, 3)
    np.testing.assert_allclose(shown_pixels, images[1].permute(1, 2, 0).numpy(), rtol=1e-6)
    assert [axis.get_title() for axis in drawn] == ["1", "0"]


def test_show_images_unnormalizes_and_clamps():
    original = torch.rand(2, 3, 5, 5, generator=torch.Generator().manual_seed(1))
    figure = draw(show_images, transforms.Normalize(MEAN, STD)(original), mean=MEAN, std=STD)
    np.testing.assert_allclose(pixels(figure), original[0].permute(1, 2, 0).numpy(), atol=1e-6)

    figure = draw(show_images, torch.tensor([[[[-3.0, 3.0], [-3.0, 0.5]]]]))
    np.testing.assert_array_equal(pixels(figure), [[0.0, 1.0], [0.0, 0.5]])


def test_show_images_scales_uint8_pixels():
    # Decoded files hold 0-255; clipping them to 0-1 drew every non-zero pixel white.
    raw = torch.tensor([[[[0, 51], [128, 255]]]], dtype=torch.uint8)  # (1,1,2,2)
    np.testing.assert_allclose(pixels(draw(show_images, raw)), [[0, 0.2], [128 / 255, 1.0]])


def test_show_images_uint8_numpy_channels_last():
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, size=(2, 5, 6, 3), dtype=np.uint8)  # (N,H,W,C), as from PIL
    figure = draw(show_images, batch, labels=np.array([3, 4]))
    assert len(axes_with_images(figure)) == 2
    np.testing.assert_allclose(pixels(figure, 1), batch[1] / 255, rtol=1e-6)
    assert [axis.get_title() for axis in axes_with_images(figure)] == ["3", "4"]


def test_show_images_channels_last_tensor_with_one_channel():
    batch = torch.rand(3, 4, 5, 1)
    figure = draw(show_images, batch)
    assert axes_with_images(figure)[0].images[0].get_cmap().name == "gray"
    np.testing.assert_allclose(pixels(figure, 2), batch[2, :, :, 0].numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "make", [torch.rand, lambda *shape: np.random.default_rng(0).random(shape)]
)
def test_show_images_grey_batch_without_channels(make):
    batch = make(4, 6, 7)  # (N,H,W), e.g. MNIST's raw data[:4]
    figure = draw(show_images, batch)
    assert len(axes_with_images(figure)) == 4
    assert pixels(figure, 3).shape == (6, 7)
    np.testing.assert_allclose(pixels(figure, 3), np.asarray(batch[3]), rtol=1e-6)


def test_show_images_list_of_numpy_images_channels_last():
    images = [np.full((4, 4, 3), 0.25 * i) for i in range(3)]
    figure = draw(show_images, images)
    np.testing.assert_allclose(pixels(figure, 2), images[2])


@pytest.mark.parametrize(
    "shape",
    [(8, 8), (1, 1, 3, 8, 8), (2, 4, 8, 8), (2, 8, 8, 4), (2, 5, 8, 8), (32, 32, 3), (0, 3, 8, 8)],
)
def test_show_images_other_shapes_raise_saying_what_is_accepted(shape):
    with pytest.raises(ValueError, match=r"\(N,C,H,W\).*\(N,H,W,C\).*\(N,H,W\)") as caught:
        show_images(torch.rand(shape))
    assert str(shape) in str(caught.value)
    assert plt.get_fignums() == []  # nothing half-drawn


def test_show_images_list_of_different_shapes_raises():
    with pytest.raises(ValueError, match=r"different shapes"):
        show_images([torch.rand(3, 4, 4), torch.rand(3, 5, 5)])


def test_show_images_empty_list_raises():
    with pytest.raises(ValueError, match="no images"):
        show_images([])


def test_show_images_predictions_wrong_in_red():
    figure = draw(
        show_images,
        torch.rand(3, 1, 4, 4),
        labels=[0, 1, 2],
        classes=["cat", "dog", "fox"],
        predictions=torch.tensor([0, 2, 2]),
    )
    titles = [axis.title for axis in axes_with_images(figure)]
    assert [t.get_text() for t in titles] == [
        "cat\n(true: cat)",
        "fox\n(true: dog)",
        "fox\n(true: fox)",
    ]
    assert [same_color(t.get_color(), "red") for t in titles] == [False, True, False]
    assert same_color(titles[0].get_color(), "black")


# ------------------------------------------------------------------------------- plot_history


def line_labels(axis) -> list[str]:
    return [line.get_label() for line in axis.get_lines()]


def test_plot_history_with_accuracy(shown):
    history = {
        "train_loss": [1.0, 0.6, 0.4],
        "train_accuracy": [0.5, 0.7, 0.8],
        "test_loss": [1.1, 0.7, 0.6],
        "test_accuracy": [0.45, 0.65, 0.75],
    }
    figure = draw(plot_history, history, title="Chapter 7")
    assert len(figure.axes) == 2
    loss_axis, accuracy_axis = figure.axes
    assert line_labels(loss_axis) == ["train loss", "test loss"]
    assert line_labels(accuracy_axis) == ["train accuracy", "test accuracy"]
    assert loss_axis.get_ylabel() == "loss"
    assert accuracy_axis.get_ylabel() == "accuracy"
    assert loss_axis.get_xlabel() == accuracy_axis.get_xlabel() == "epoch"
    np.testing.assert_array_equal(loss_axis.get_lines()[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(accuracy_axis.get_lines()[1].get_ydata(), [0.45, 0.65, 0.75])
    assert loss_axis.get_legend() is not None
    assert figure.get_suptitle() == "Chapter 7"
    assert shown == [1]


def test_plot_history_without_accuracy():
    figure = draw(plot_history, {"train_loss": [3.0, 2.0], "test_loss": []})
    assert len(figure.axes) == 1
    assert line_labels(figure.axes[0]) == ["train loss"]  # empty series are skipped
    assert figure.axes[0].get_ylabel() == "loss"
    assert figure.get_suptitle() == "Training"


# ---------------------------------------------------------------------- plot_confusion_matrix


def test_plot_confusion_matrix(shown):
    matrix = torch.tensor([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    classes = ["cat", "dog", "fox"]
    figure = draw(plot_confusion_matrix, matrix, classes, title="Pets")
    [axis] = figure.axes
    assert axis.get_xlabel() == "predicted"
    assert axis.get_ylabel() == "true"
    assert axis.get_title() == "Pets"
    assert [label.get_text() for label in axis.get_xticklabels()] == classes
    assert [label.get_text() for label in axis.get_yticklabels()] == classes
    np.testing.assert_array_equal(np.asarray(axis.images[0].get_array()), matrix.numpy())
    texts = {(t.get_position(), t.get_text()): t.get_color() for t in axis.texts}
    assert len(texts) == 9
    assert same_color(texts[((1, 1), "7")], "white")  # above half the maximum
    assert same_color(texts[((0, 1), "2")], "black")  # (x=column 0, y=row 1)
    assert shown == [1]


def test_plot_confusion_matrix_takes_numpy():
    matrix = np.array([[3, 1], [0, 4]])
    figure = draw(plot_confusion_matrix, matrix, ["a", "b"])
    np.testing.assert_array_equal(np.asarray(figure.axes[0].images[0].get_array()), matrix)
    assert sorted(t.get_text() for t in figure.axes[0].texts) == ["0", "1", "3", "4"]


def test_plot_confusion_matrix_size_must_match_the_names():
    with pytest.raises(ValueError, match=r"10×10 but 2 class names.*'cat', 'dog'"):
        plot_confusion_matrix(torch.zeros(10, 10), ["cat", "dog"])
    assert plt.get_fignums() == []


@pytest.mark.parametrize("shape", [(3, 4), (9,), (2, 2, 2)])
def test_plot_confusion_matrix_must_be_square(shape):
    with pytest.raises(ValueError, match=rf"square.*{re.escape(str(shape))} for 3 class names"):
        plot_confusion_matrix(np.zeros(shape), ["a", "b", "c"])


def test_plot_confusion_matrix_all_zero():
    figure = draw(plot_confusion_matrix, torch.zeros(2, 2, dtype=torch.int64), ["a", "b"])
    assert [t.get_text() for t in figure.axes[0].texts] == ["0"] * 4
