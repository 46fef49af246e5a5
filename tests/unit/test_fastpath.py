"""Unit tests of course_utils.fastpath: decoding a dataset once, batching from memory."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision import transforms

from course_utils.datasets import ArrayImageDataset
from course_utils.fastpath import TensorBatches, as_tensors

GREY_MEAN, GREY_STD = [0.25], [0.5]
RGB_MEAN, RGB_STD = [0.4, 0.5, 0.6], [0.2, 0.25, 0.3]


def grey_dataset(count: int = 6, transform=None) -> ArrayImageDataset:
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (count, 8, 9), dtype=np.uint8)
    return ArrayImageDataset(data, np.arange(count) % 3, ["a", "b", "c"], transform)


def rgb_dataset(count: int = 5, transform=None) -> ArrayImageDataset:
    rng = np.random.default_rng(1)
    data = rng.integers(0, 256, (count, 8, 9, 3), dtype=np.uint8)
    return ArrayImageDataset(data, (np.arange(count) + 1) % 3, ["a", "b", "c"], transform)


def manual(dataset, mean, std) -> torch.Tensor:
    """What a DataLoader with ToTensor + Normalize would give, item by item."""
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    dataset.transform = pipeline
    try:
        return torch.stack([dataset[i][0] for i in range(len(dataset))])
    finally:
        dataset.transform = None


class ListDataset(Dataset):
    """A dataset without ``.data``: only items, like a folder of images."""

    def __init__(self, images: list[Image.Image], targets: list[int], transform=None):
        self.images, self.targets, self.transform = images, targets, transform
        self.reads = 0

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index):
        self.reads += 1
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, self.targets[index]


# ------------------------------------------------------------------------------------ as_tensors


def test_as_tensors_grey_matches_totensor_normalize():
    ds = grey_dataset()
    images, labels = as_tensors(ds, GREY_MEAN, GREY_STD)
    assert images.shape == (6, 1, 8, 9)
    assert images.dtype == torch.float32
    assert labels.dtype == torch.int64
    assert labels.tolist() == [0, 1, 2, 0, 1, 2]
    torch.testing.assert_close(images, manual(ds, GREY_MEAN, GREY_STD))


def test_as_tensors_rgb_matches_totensor_normalize():
    ds = rgb_dataset()
    images, labels = as_tensors(ds, RGB_MEAN, RGB_STD)
    assert images.shape == (5, 3, 8, 9)
    assert labels.tolist() == [1, 2, 0, 1, 2]
    torch.testing.assert_close(images, manual(ds, RGB_MEAN, RGB_STD))


def test_as_tensors_with_the_datasets_own_statistics_gives_zero_mean_unit_std():
    ds = rgb_dataset(count=20)
    pixels = ds.data.astype(np.float64) / 255
    mean = pixels.mean(axis=(0, 1, 2)).tolist()
    std = pixels.std(axis=(0, 1, 2)).tolist()
    images, _ = as_tensors(ds, mean, std)
    per_channel = images.transpose(0, 1).reshape(3, -1)
    torch.testing.assert_close(per_channel.mean(1), torch.zeros(3), atol=1e-4, rtol=0)
    torch.testing.assert_close(per_channel.std(1, correction=0), torch.ones(3), atol=1e-4, rtol=0)


def test_as_tensors_ignores_the_datasets_transform():
    ds = grey_dataset(transform=transforms.RandomHorizontalFlip(p=1.0))
    images, _ = as_tensors(ds, GREY_MEAN, GREY_STD)
    ds.transform = None
    torch.testing.assert_close(images, manual(ds, GREY_MEAN, GREY_STD))


def test_as_tensors_reads_a_tensor_data_attribute_like_torchvision_mnist():
    ds = grey_dataset()
    expected, _ = as_tensors(ds, GREY_MEAN, GREY_STD)
    ds.data = torch.from_numpy(ds.data)  # torchvision's MNIST keeps a uint8 tensor
    images, _ = as_tensors(ds, GREY_MEAN, GREY_STD)
    torch.testing.assert_close(images, expected)


def test_as_tensors_without_data_iterates_the_items_and_restores_the_transform():
    source = rgb_dataset()
    expected, _ = as_tensors(source, RGB_MEAN, RGB_STD)
    pil_images = [Image.fromarray(array) for array in source.data]

    def broken_transform(image):
        raise AssertionError("as_tensors must read the images without the transform")

    ds = ListDataset(pil_images, source.targets, transform=broken_transform)
    assert not hasattr(ds, "data")
    images, labels = as_tensors(ds, RGB_MEAN, RGB_STD)
    torch.testing.assert_close(images, expected)
    assert labels.tolist() == source.targets
    assert ds.reads == len(source)
    assert ds.transform is broken_transform


def test_as_tensors_restores_the_transform_even_on_error():
    def transform(image):
        return image

    ds = ListDataset([Image.new("RGB", (4, 4)), Image.new("L", (4, 4))], [0, 1], transform)
    with pytest.raises(RuntimeError):  # one RGB and one grey image cannot be stacked
        as_tensors(ds, RGB_MEAN, RGB_STD)
    assert ds.transform is transform


def test_as_tensors_device_argument():
    """The tensors land on the device asked for ("meta": a device every machine has)."""
    images, labels = as_tensors(grey_dataset(), GREY_MEAN, GREY_STD, device="meta")
    assert (images.device.type, labels.device.type) == ("meta", "meta")
    assert images.shape == (6, 1, 8, 9) and images.dtype == torch.float32


@pytest.mark.parametrize(
    ("make", "mean", "std", "match"),
    [
        (grey_dataset, RGB_MEAN, RGB_STD, "1 channels but mean/std have 3/3"),
        (rgb_dataset, GREY_MEAN, GREY_STD, "3 channels but mean/std have 1/1"),
        (rgb_dataset, RGB_MEAN, [0.2, 0.2], "3 channels but mean/std have 3/2"),
    ],
)
def test_as_tensors_channel_count_mismatch(make, mean, std, match):
    with pytest.raises(ValueError, match=match):
        as_tensors(make(), mean, std)


# --------------------------------------------------------------------------------- TensorBatches


def numbered(count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Image i is filled with i and labelled i, so a batch's pairing can be checked."""
    index = torch.arange(count)
    return index.float().view(-1, 1, 1, 1).expand(-1, 1, 2, 2).clone(), index


@pytest.mark.parametrize(
    ("count", "batch", "batches"), [(10, 4, 3), (8, 4, 2), (3, 8, 1), (0, 4, 0)]
)
def test_tensor_batches_length(count, batch, batches):
    loader = TensorBatches(*numbered(count), batch_size=batch)
    assert len(loader) == batches
    assert len(list(loader)) == batches


def test_tensor_batches_in_order_with_a_partial_last_batch():
    images, labels = numbered(10)
    sizes, seen = [], []
    for x, y in TensorBatches(images, labels, batch_size=4):
        sizes.append(len(y))
        seen.extend(y.tolist())
        assert x.shape[1:] == (1, 2, 2)
        assert torch.equal(x[:, 0, 0, 0], y.float())
    assert sizes == [4, 4, 2]
    assert seen == list(range(10))


def _epoch(loader) -> list[int]:
    order = []
    for x, y in loader:
        assert torch.equal(x[:, 0, 0, 0], y.float())  # images stay with their labels
        order.extend(y.tolist())
    return order


def test_tensor_batches_shuffle_covers_every_index_once():
    loader = TensorBatches(*numbered(53), batch_size=8, shuffle=True)
    order = _epoch(loader)
    assert sorted(order) == list(range(53))
    assert order != list(range(53))
    assert [len(y) for _, y in loader] == [8] * 6 + [5]


def test_tensor_batches_shuffle_reproducible_with_a_seeded_generator():
    images, labels = numbered(50)
    a = TensorBatches(images, labels, 8, shuffle=True, generator=torch.Generator().manual_seed(3))
    b = TensorBatches(images, labels, 8, shuffle=True, generator=torch.Generator().manual_seed(3))
    first_a, first_b = _epoch(a), _epoch(b)
    assert first_a == first_b
    second_a = _epoch(a)
    assert second_a == _epoch(b)
    assert second_a != first_a  # reshuffled every epoch
    expected = torch.randperm(50, generator=torch.Generator().manual_seed(3)).tolist()
    assert first_a == expected


def test_tensor_batches_rejects_length_mismatch():
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        TensorBatches(torch.zeros(5, 1, 2, 2), torch.zeros(4), batch_size=2)
