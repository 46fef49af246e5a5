"""Unit tests of course_utils.transfer: the 32×32 ResNet, class selection and the three ways."""

from __future__ import annotations

import pytest
import torch

from course_utils import transfer as tl
from course_utils.fastpath import TensorBatches


def _images(count: int, classes: int = 10, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Tiny separable 'images': each class brightens its own row (a mirror image keeps it)."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(count) % classes
    images = 0.1 * torch.randn(count, 3, 32, 32, generator=generator)
    images[torch.arange(count), 0, labels] += 5.0
    return images, labels


def test_cifar_resnet_is_resnet18_with_a_3x3_stem_and_maps_32_pixels_to_logits():
    model = tl.cifar_resnet(5)
    assert model.conv1.kernel_size == (3, 3) and model.conv1.stride == (2, 2)
    assert model.fc.out_features == 5
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 5)
    stem = torch.nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool)
    assert stem(torch.zeros(1, 3, 32, 32)).shape == (1, 64, 8, 8)


def test_select_classes_keeps_order_caps_each_class_and_relabels_in_the_given_order():
    labels = torch.tensor([5, 0, 9, 5, 9, 5, 1])
    images = torch.arange(len(labels)).float().view(-1, 1, 1, 1)
    x, y = tl.select_classes(images, labels, (9, 5), per_class=2)
    assert x.flatten().tolist() == [0, 2, 3, 4]  # the first two 5s and both 9s, in dataset order
    assert y.tolist() == [1, 0, 1, 0]  # 9 -> 0, 5 -> 1
    _, every = tl.select_classes(images, labels, (5,))
    assert every.tolist() == [0, 0, 0]


def test_flip_half_mirrors_some_images_exactly_and_leaves_the_others():
    images = torch.randn(64, 3, 4, 4)
    flipped = tl.flip_half(images, torch.Generator().manual_seed(0))
    pairs = list(zip(flipped, images, strict=True))
    mirrored = torch.tensor([torch.equal(f, i.flip(-1)) for f, i in pairs])
    same = torch.tensor([torch.equal(f, i) for f, i in pairs])
    assert (mirrored | same).all() and 16 < int(mirrored.sum()) < 48


def test_train_epochs_lowers_the_loss_and_frozen_statistics_keeps_running_stats():
    torch.manual_seed(0)
    x, y = _images(40, classes=2)
    model = tl.cifar_resnet(2)
    before = model.bn1.running_mean.clone()
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
    batches = TensorBatches(x, y, 20, shuffle=True, generator=torch.Generator().manual_seed(0))
    losses = tl.train_epochs(model, optimizer, batches, 3, frozen_statistics=True)
    assert len(losses) == 3 and not model.training
    assert torch.equal(model.bn1.running_mean, before)
    tl.train_epochs(model, optimizer, batches, 1)
    assert not torch.equal(model.bn1.running_mean, before) and model.training


def test_pretrain_is_seeded_and_learns_separable_images():
    x, y = _images(60, classes=3)
    model, losses = tl.pretrain(x, y, epochs=15, seed=0)
    again, losses_again = tl.pretrain(x, y, epochs=15, seed=0)
    assert losses == losses_again and losses[-1] < losses[0]
    assert tl.accuracy(model, x, y) > 0.9
    states = zip(model.state_dict().values(), again.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in states)


@pytest.fixture(scope="module")
def pretrained() -> dict[str, torch.Tensor]:
    x, y = _images(60, classes=3)
    return tl.pretrain(x, y, epochs=2, seed=0)[0].state_dict()


def test_frozen_way_changes_only_the_head(pretrained):
    x, y = _images(20, classes=2, seed=1)
    model = tl.transfer(tl.WAYS[1], pretrained, x, y, epochs=2, classes=2)
    state = model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in pretrained.items() if not k.startswith("fc."))
    assert model.fc.out_features == 2
    assert not any(p.requires_grad for n, p in model.named_parameters() if not n.startswith("fc."))


def test_fine_tuning_moves_the_backbone_and_from_scratch_ignores_the_pretrained_weights(
    pretrained,
):
    x, y = _images(20, classes=2, seed=1)
    tuned = tl.transfer(tl.WAYS[2], pretrained, x, y, epochs=1, classes=2).state_dict()
    assert not torch.equal(tuned["layer1.0.conv1.weight"], pretrained["layer1.0.conv1.weight"])
    scratch = tl.transfer(tl.WAYS[0], pretrained, x, y, epochs=0, classes=2).state_dict()
    assert torch.equal(scratch["conv1.weight"], _seeded_conv1(2))
    assert not torch.equal(scratch["conv1.weight"], pretrained["conv1.weight"])


def _seeded_conv1(classes: int) -> torch.Tensor:
    """conv1 of a cifar_resnet built right after torch.manual_seed(0), as transfer builds it."""
    torch.manual_seed(0)
    return tl.cifar_resnet(classes).conv1.weight.detach()


def test_transfer_refuses_an_unknown_way_and_a_foreign_state_dict(pretrained):
    x, y = _images(10, classes=2)
    with pytest.raises(ValueError, match="way must be one of"):
        tl.transfer("sideways", pretrained, x, y, epochs=1, classes=2)
    foreign = {k: v for k, v in pretrained.items() if not k.startswith("layer4")}
    with pytest.raises(ValueError, match="not a cifar_resnet's"):
        tl.transfer(tl.WAYS[2], foreign, x, y, epochs=1, classes=2)
