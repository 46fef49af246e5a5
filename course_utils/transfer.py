"""Transfer learning that runs on a laptop CPU (Chapter 15): the book's own pretrained network.

ImageNet's weights may be out of reach (no network, no cache), so a network the book trains
itself stands in for them: torchvision's ResNet-18, its stem adapted to 32×32 images
(:func:`cifar_resnet`), is pre-trained on CIFAR-10's first five classes (:data:`SOURCE_CLASSES`,
:func:`pretrain`). The other five (:data:`TARGET_CLASSES`) are then learned from
:data:`PER_CLASS` images each, in the three ways of :data:`WAYS` (:func:`transfer`): from
scratch, a new head on the frozen backbone, and fine-tuning everything with a lower learning
rate for the backbone (parameter groups, Chapter 06). ``scripts/reproduce.py`` runs the same
functions; Chapter 15 writes them out and checks that they match.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torch.optim.optimizer import ParamsT

from course_utils.fastpath import TensorBatches

__all__ = [
    "SOURCE_CLASSES",
    "TARGET_CLASSES",
    "PER_CLASS",
    "BATCH_SIZE",
    "PRETRAIN_EPOCHS",
    "PRETRAIN_LR",
    "TRANSFER_EPOCHS",
    "TRANSFER_LR",
    "BACKBONE_LR_FACTOR",
    "MOMENTUM",
    "WEIGHT_DECAY",
    "WAYS",
    "cifar_resnet",
    "select_classes",
    "flip_half",
    "train_epochs",
    "pretrain",
    "accuracy",
    "transfer",
]

SOURCE_CLASSES = (0, 1, 2, 3, 4)  # airplane, automobile, bird, cat, deer: pre-training
TARGET_CLASSES = (5, 6, 7, 8, 9)  # dog, frog, horse, ship, truck: the new task
PER_CLASS = 100  # training images per new class
BATCH_SIZE = 64
PRETRAIN_EPOCHS = 6  # on the 25,000 training images of the source classes
PRETRAIN_LR = 0.05
TRANSFER_EPOCHS = 30  # on the PER_CLASS x 5 images of the new classes
TRANSFER_LR = 0.05  # from scratch, and the new head's
BACKBONE_LR_FACTOR = 0.1  # fine-tuning: the backbone learns at TRANSFER_LR times this
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
#: The three ways of learning the new classes, in the order of the chapter's table.
WAYS = ("from scratch", "frozen backbone, new head", "fine-tuned, backbone lr / 10")


def cifar_resnet(num_classes: int) -> nn.Module:
    """torchvision's ResNet-18 for 32×32 images: a 3×3 first convolution instead of ImageNet's 7×7.

    The 7×7 stride-2 kernel was sized for 224-pixel photos; on a 32-pixel image it spans a fifth
    of the picture. The stride and the max-pool stay, so the maps are as small as torchvision's
    (32 → 16 → 8 before ``layer1``) and an epoch stays affordable on two CPU cores.
    """
    model = torchvision.models.resnet18(weights=None, num_classes=num_classes)
    model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=2, padding=1, bias=False)
    return model


def select_classes(
    images: torch.Tensor,
    labels: torch.Tensor,
    classes: Sequence[int],
    per_class: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The images of ``classes`` (the first ``per_class`` of each, when given), relabelled
    ``0 .. len(classes) - 1`` in the order of ``classes``; the dataset's order is kept."""
    keep = torch.zeros(len(labels), dtype=torch.bool)
    for cls in classes:
        index = (labels == cls).nonzero().flatten()
        keep[index[:per_class] if per_class is not None else index] = True
    relabel = torch.full((int(labels.max()) + 1,), -1, dtype=torch.int64)
    relabel[list(classes)] = torch.arange(len(classes))
    return images[keep], relabel[labels[keep]]


def flip_half(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A batch with a random half of its images mirrored left-right (the cheapest augmentation)."""
    flip = torch.rand(len(images), generator=generator) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), images.flip(-1), images)


def train_epochs(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: TensorBatches,
    epochs: int,
    generator: torch.Generator | None = None,
    frozen_statistics: bool = False,
) -> list[float]:
    """Train ``epochs`` passes over ``batches`` (each batch half-flipped) with a cosine-annealed
    learning rate; return the mean training loss of each epoch.

    ``frozen_statistics`` keeps the model in eval mode: its batch-norm layers then use (and keep)
    their running statistics, as a frozen backbone must.
    """
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * len(batches))
    model.train(not frozen_statistics)
    losses = []
    for _ in range(epochs):
        total, seen = 0.0, 0
        for x, y in batches:
            loss = F.cross_entropy(model(flip_half(x, generator)), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total, seen = total + loss.item() * len(y), seen + len(y)
        losses.append(total / seen)
    return losses


def _sgd(params: ParamsT, lr: float) -> torch.optim.SGD:
    """SGD with the book's momentum and weight decay over ``params`` (tensors or groups)."""
    return torch.optim.SGD(params, lr=lr, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)


def pretrain(
    images: torch.Tensor, labels: torch.Tensor, epochs: int, seed: int = 0
) -> tuple[nn.Module, list[float]]:
    """A :func:`cifar_resnet` trained on ``images`` (labels ``0..k-1``); ``(model, losses)``."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = cifar_resnet(int(labels.max()) + 1)
    batches = TensorBatches(images, labels, BATCH_SIZE, shuffle=True, generator=generator)
    losses = train_epochs(model, _sgd(model.parameters(), PRETRAIN_LR), batches, epochs, generator)
    return model, losses


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """The share of ``images`` that ``model`` (in eval mode) labels correctly."""
    model.eval()
    correct = sum(
        int((model(x).argmax(1) == y).sum())
        for x, y in TensorBatches(images, labels, batch_size=500)
    )
    return correct / len(labels)


def transfer(
    way: str,
    pretrained: dict[str, torch.Tensor],
    images: torch.Tensor,
    labels: torch.Tensor,
    epochs: int,
    seed: int = 0,
    classes: int = len(TARGET_CLASSES),
) -> nn.Module:
    """Learn ``images``/``labels`` (labels ``0 .. classes - 1``) in one of the :data:`WAYS`,
    starting from the ``pretrained`` state dict of a :func:`cifar_resnet` (ignored from scratch).

    Every way gets a freshly initialised head (seeded), the same epochs and the same batches.
    The frozen backbone's batch-norm statistics stay those of pre-training.
    """
    if way not in WAYS:
        raise ValueError(f"way must be one of {WAYS}, not {way!r}")
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = cifar_resnet(classes)
    head = model.fc  # seeded: the same new head in every way
    batches = TensorBatches(images, labels, BATCH_SIZE, shuffle=True, generator=generator)
    if way == WAYS[0]:
        train_epochs(model, _sgd(model.parameters(), TRANSFER_LR), batches, epochs, generator)
        return model
    backbone_state = {k: v for k, v in pretrained.items() if not k.startswith("fc.")}
    keys = model.load_state_dict(backbone_state, strict=False)
    if keys.unexpected_keys or set(keys.missing_keys) != {"fc.weight", "fc.bias"}:
        raise ValueError(
            "the pretrained state dict is not a cifar_resnet's: missing "
            f"{keys.missing_keys}, unexpected {keys.unexpected_keys}"
        )
    if way == WAYS[1]:
        for parameter in model.parameters():
            parameter.requires_grad_(False)
        head.requires_grad_(True)
        optimizer = _sgd(head.parameters(), TRANSFER_LR)
        train_epochs(model, optimizer, batches, epochs, generator, frozen_statistics=True)
        return model
    backbone = [p for name, p in model.named_parameters() if not name.startswith("fc.")]
    groups = [
        {"params": backbone, "lr": TRANSFER_LR * BACKBONE_LR_FACTOR},
        {"params": list(head.parameters())},
    ]
    train_epochs(model, _sgd(groups, TRANSFER_LR), batches, epochs, generator)
    return model
