# ---
# jupyter:
#   jupytext:
#     formats: ipynb,src//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: PyTorch course (.venv)
#     language: python
#     name: pytorch-course
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # Chapter 15 — torchvision's model zoo and transfer learning
#
# Seed 002 ends its tour of torchvision with one line: `torchvision.models` holds AlexNet,
# DenseNet, Inception, ResNet, SqueezeNet, VGG and more, "with pretrained models", loaded with
# `resnet50(pretrained=True)`. This chapter opens that package up and uses it the way practice
# does: start from a network someone already trained. We:
#
# - tour the zoo: `list_models`, `get_model`, the weights enums with their transforms and
#   metadata, and a ResNet-18 built without weights;
# - replace seed 002's `pretrained=True` with its modern form, and say why it changed;
# - see where the weights are cached, what happens with no network (the book's helper fails fast
#   and falls back, in one line), and what a corrupt file in the cache does;
# - learn five CIFAR-10 classes from 100 images each, with a ResNet the book pre-trains itself on
#   the other five: from scratch, a new head on a frozen backbone, and fine-tuning — then the same
#   code with ImageNet's weights, for a student whose cache has them.

# %% [markdown] slideshow={"slide_type": "notes"}
# **The book's second-longest chapter.** A pretrained network has to come from somewhere, and
# with no network to download one the chapter pre-trains its own: a ResNet-18 on 25,000 CIFAR-10
# images for six epochs, four to five minutes of the chapter's full-profile run on two CPU cores
# (the cell prints its time; the README's chapter table gives the chapter's). Everything before
# that cell takes seconds. The shorter route is `COURSE_PROFILE=fast`: 300 images per source
# class, one epoch of pre-training and five of transfer, in under a minute, with lower
# accuracies than the prose quotes.

# %% slideshow={"slide_type": "skip"}
import tempfile
import time
import warnings

import matplotlib.pyplot as plt
import torch
import torchvision
from torch import nn
from torchvision.models import ResNet18_Weights, get_model, get_model_weights, list_models

from course_utils import transfer
from course_utils.data import cifar10, standin_notice
from course_utils.device import seed_everything
from course_utils.fastpath import TensorBatches, as_tensors
from course_utils.models import count_parameters
from course_utils.paths import data_dir
from course_utils.pretrained import WeightsFileError, cached_file, load_pretrained
from course_utils.profile import settings
from course_utils.recipes import BLITZ

cfg = settings("15")
seed_everything(0)
print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
      f"profile {cfg.profile!r}, settings {vars(cfg)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The zoo
#
# `list_models()` names every architecture torchvision can build; `module=` narrows it to one
# family (classification models live in `torchvision.models` itself, detection, segmentation,
# video and quantized models in submodules). Nothing here needs the network: the catalogue and
# the metadata of every set of weights ship inside the package.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
every_model = list_models()
classifiers = list_models(module=torchvision.models)
quantized = list_models(module=torchvision.models.quantization)
print(f"{len(every_model)} models, {len(classifiers)} of them image classifiers")
print(f"{len(quantized)} quantized (int8) versions, e.g. {quantized[:3]}")
print("ResNets:", [name for name in classifiers if name.startswith("resnet")])
print("weights of resnet50:", list(get_model_weights("resnet50")))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A set of weights is an enum member
#
# Each architecture has a weights enum; each member names one training run's weights and carries
# what you need to use them: the URL of the file, the preprocessing the network was trained with
# (`transforms()`), and `meta` — the 1,000 ImageNet categories, the accuracy it reached, its
# parameter count. `DEFAULT` is an alias for the best weights of that architecture.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
weights = ResNet18_Weights.DEFAULT
print(weights, "->", weights.url.rsplit("/", 1)[-1])
print(weights.transforms())
meta = weights.meta
print(f"{len(meta['categories'])} categories, the first: {meta['categories'][:3]}")
print(f"ImageNet-1K accuracy: {meta['_metrics']['ImageNet-1K']}, "
      f"{meta['num_params']:,} parameters, a file of {meta['_file_size']:.1f} MB")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The transforms resize to 256 pixels, crop the centre 224, and normalise with ImageNet's
# per-channel mean and standard deviation: a pretrained network only works on inputs prepared
# the way its training images were.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A ResNet-18 without weights
#
# `get_model(name, weights=None)` builds the architecture with random weights: no file, no
# network. Its top level is a stem (a 7×7 convolution with stride 2, batch norm, ReLU, a max-pool),
# four stages of residual blocks that halve the size and double the channels, a global average
# pool and one linear layer, `fc`, that maps 512 features to the 1,000 classes.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
resnet = get_model("resnet18", weights=None)
x = torch.zeros(1, 3, 224, 224)  # one ImageNet-sized image
for name, child in resnet.named_children():
    x = torch.flatten(x, 1) if name == "fc" else x  # forward() flattens before fc
    x = child(x)
    print(f"{name:8s} {type(child).__name__:18s} -> {tuple(x.shape)}")
print(f"{count_parameters(resnet):,} parameters; meta says {meta['num_params']:,}")
assert count_parameters(resnet) == meta["num_params"]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. `pretrained=True`, then and now
#
# Seed 002 writes `torchvision.models.resnet50(pretrained=True)`. A flag could say only "some
# weights": when torchvision trained better ResNet-50 weights, `pretrained=True` could not name
# them without silently changing every program that used it. Since torchvision 0.13 the
# `weights=` argument takes an enum member instead, which names the exact weights and brings their
# transforms and metadata along. The old keyword still works, with a warning that says what it
# now means. (`pretrained=False` is shown: `True` would start a download.)

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    seeds_keyword = {"pretrained": False}  # seed 002's keyword, shown on purpose (not True:
    torchvision.models.resnet50(**seeds_keyword)  # that would start a download)
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}")
print("the modern form: resnet50(weights=ResNet50_Weights.DEFAULT), or weights=None")
print("ResNet50_Weights.DEFAULT is", torchvision.models.ResNet50_Weights.DEFAULT)

# %% [markdown] slideshow={"slide_type": "fragment"}
# For ResNet-50 the old `pretrained=True` meant `ResNet50_Weights.IMAGENET1K_V1`, while `DEFAULT`
# is now `IMAGENET1K_V2`, trained later with a better recipe: naming the weights keeps a
# program's results from changing under it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Weights that cannot be fetched
#
# The first `get_model("resnet18", weights=ResNet18_Weights.DEFAULT)` downloads the file into
# `torch.hub.get_dir()/checkpoints` (`$TORCH_HOME/hub`, by default `~/.cache/torch/hub`); later
# calls load it from there. The download has no time limit, so on a machine whose network hangs
# the call hangs too, and with no network it fails with a long traceback. The book's
# `load_pretrained` builds the model with `weights=None` and fills it itself: from the cache after
# checking the file, else by a download bounded by `COURSE_DOWNLOAD_TIMEOUT` seconds; without the
# weights it prints one line and returns the randomly initialised model, with `loaded` False.

# %% slideshow={"slide_type": "-"}
print("cache:", cached_file(weights))
start = time.perf_counter()
imagenet_resnet, loaded = load_pretrained("resnet18", weights)
print(f"loaded: {loaded}, after {time.perf_counter() - start:.1f} s")

# %% [markdown] slideshow={"slide_type": "fragment"}
# On the book's machine there is no network: the output above shows the one line and the
# fallback, within the download timeout. On a student's machine with a network the file is
# fetched once (its size is in `meta`, printed in section 1) and `loaded` is True from then on.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A corrupt file in the cache
#
# A download cut short, or another file saved under the name, stays in the cache. torch.hub
# checks a file's hash only *while downloading* it; afterwards torchvision loads whatever file has
# that name. Here, in a throw-away cache, is what each does with a file of garbage under
# ResNet-18's name:

# %% slideshow={"slide_type": "-"}
saved_hub = torch.hub.get_dir()
with tempfile.TemporaryDirectory() as scratch:
    torch.hub.set_dir(scratch)
    try:
        broken = cached_file(weights)
        broken.parent.mkdir(parents=True)
        broken.write_bytes(b"not a checkpoint, only half a download" * 100)
        try:
            get_model("resnet18", weights=weights)
        except Exception as error:  # torchvision's own path
            print(f"get_model: {type(error).__name__}: {str(error).splitlines()[0][:90]}")
        try:
            load_pretrained("resnet18", weights)
        except WeightsFileError as error:  # the book's helper: the file and the fix
            print(f"load_pretrained: {error}".replace(scratch, "<cache>"))
    finally:
        torch.hub.set_dir(saved_hub)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the two errors say
#
# torchvision's error says a pickle could not be read, not which file or what to do. It did ask
# for the hash check: its builders call `torch.hub.load_state_dict_from_url(url, check_hash=True)`,
# but that check runs only on a file it has just downloaded, never on one already cached. The
# file's name carries the first hex digits of its SHA-256 (`resnet18-f37072fd.pth`), so the
# book's helper checks the file against them before loading it, and its error names the file and
# the fix: delete it, and the next call downloads it again.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Transfer learning that runs here
#
# Whether or not ImageNet's weights can be had, the idea can be tried in full: the book
# pre-trains a network itself and transfers it. CIFAR-10's first five classes (airplane,
# automobile, bird, cat, deer) are the "large dataset" it is pre-trained on; the other five (dog,
# frog, horse, ship, truck) are the new task, with only 100 training images per class.

# %% slideshow={"slide_type": "-"}
train_set, test_set = cifar10(train=True), cifar10(train=False)
ON_STANDIN = standin_notice(train_set)
images, labels = as_tensors(train_set, BLITZ.mean, BLITZ.std)  # (50000,3,32,32), in [-1, 1]
test_images, test_labels = as_tensors(test_set, BLITZ.mean, BLITZ.std)
classes = train_set.classes
print("source:", [classes[c] for c in transfer.SOURCE_CLASSES])
print("target:", [classes[c] for c in transfer.TARGET_CLASSES])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### torchvision's ResNet-18 for 32×32 images
#
# The stem was sized for 224-pixel photos: on a 32-pixel image a 7×7 kernel spans a fifth of the
# picture. We swap it for a 3×3 convolution, keeping the stride and the max-pool so that an
# epoch stays affordable on two CPU cores; everything after the stem is torchvision's ResNet-18.

# %% slideshow={"slide_type": "-"}
def cifar_resnet(num_classes):
    model = torchvision.models.resnet18(weights=None, num_classes=num_classes)
    model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=2, padding=1, bias=False)  # 32 -> 16
    return model


def select_classes(images, labels, classes, per_class=None):
    """The images of `classes` (the first `per_class` of each), labels renumbered 0, 1, ..."""
    keep = torch.zeros(len(labels), dtype=torch.bool)
    for cls in classes:
        index = (labels == cls).nonzero().flatten()
        keep[index[:per_class] if per_class is not None else index] = True
    relabel = torch.full((int(labels.max()) + 1,), -1, dtype=torch.int64)
    relabel[list(classes)] = torch.arange(len(classes))
    return images[keep], relabel[labels[keep]]


# %% [markdown] slideshow={"slide_type": "subslide"}
# The shapes through the network for a batch of two 32 × 32 images: the 3 × 3 convolution with
# stride 2 gives 16 × 16, the max-pool 8 × 8, and each stage after the first halves the map.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
small = cifar_resnet(5)
x = torch.zeros(2, 3, 32, 32)
for name in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"):
    x = getattr(small, name)(x)
    print(f"{name:8s} -> {tuple(x.shape)}")
print(f"{count_parameters(small):,} parameters, fc: {small.fc}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Pre-training on the five source classes
#
# `transfer.pretrain` trains it with the loop of the later chapters: SGD with momentum 0.9 and
# weight decay, a cosine-annealed learning rate, batches of 64, half of each batch mirrored. Then
# the weights are saved, and loaded back the safe way (`weights_only=True`), as a downloaded
# checkpoint would be.

# %% slideshow={"slide_type": "-"}
source = select_classes(images, labels, transfer.SOURCE_CLASSES, cfg.pretrain_per_class)
source_test = select_classes(test_images, test_labels, transfer.SOURCE_CLASSES)
start = time.perf_counter()
pretrained_net, losses = transfer.pretrain(*source, cfg.pretrain_epochs, seed=0)
pretrain_seconds = time.perf_counter() - start
print(f"{len(source[1]):,} images, {cfg.pretrain_epochs} epochs in {pretrain_seconds:.0f} s; "
      f"training loss per epoch: {[round(loss, 3) for loss in losses]}")

# %% slideshow={"slide_type": "fragment"}
path = data_dir() / "checkpoints" / "cifar5_resnet18.pth"  # git-ignored, beside the data
path.parent.mkdir(parents=True, exist_ok=True)
torch.save(pretrained_net.state_dict(), path)
pretrained = torch.load(path, weights_only=True)  # name -> tensor, nothing else
reloaded = cifar_resnet(len(transfer.SOURCE_CLASSES))
print(f"{path.name}:", reloaded.load_state_dict(pretrained))
source_accuracy = transfer.accuracy(reloaded, *source_test)
print(f"the reloaded weights: test accuracy on the source classes {source_accuracy:.1%}")
assert source_accuracy > (0.6 if cfg.profile == "full" and not ON_STANDIN else 0.2)  # chance: 0.2

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Three ways to learn the new classes
#
# Each way starts from a new head, `fc` with 5 outputs, initialised from the same seed:
#
# 1. **From scratch**: a fresh network; the pre-trained weights are not used.
# 2. **Frozen backbone, new head**: the pre-trained weights, every one frozen
#    (`requires_grad_(False)`) except the head's. The network also stays in **eval mode**: a
#    frozen backbone must keep its batch-norm statistics, and in training mode batch norm would
#    normalise with each batch's statistics and overwrite its running averages.
# 3. **Fine-tuning**: the pre-trained weights, all trained, with two **parameter groups**
#    (Chapter 06): the backbone at a tenth of the head's learning rate, so that a few hundred
#    images adjust the features rather than erase them.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What each way trains
#
# Each way takes the network (its backbone already loaded, in the two pre-trained ways) and says
# which parameters the optimizer gets, and whether batch norm must stay in eval mode:

# %% slideshow={"slide_type": "-"}
WAYS = transfer.WAYS


def scratch_params(model):
    return model.parameters(), False  # every weight learns; batch norm in training mode


def frozen_params(model):
    model.requires_grad_(False)  # no gradient for any weight of the backbone...
    model.fc.requires_grad_(True)  # ...only for the head's
    return model.fc.parameters(), True  # and batch norm keeps pre-training's statistics


def fine_tune_params(model):
    backbone = [p for name, p in model.named_parameters() if not name.startswith("fc.")]
    return [{"params": backbone, "lr": transfer.TRANSFER_LR * transfer.BACKBONE_LR_FACTOR},
            {"params": list(model.fc.parameters())}], False  # the head: the optimizer's lr


PARAMS = dict(zip(WAYS, (scratch_params, frozen_params, fine_tune_params), strict=True))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One network per way, trained the same way
#
# `new_model` builds the network from a seed (so every way starts from the same new head), loads
# the pre-trained backbone except in the first way, and gives the chosen parameters to SGD;
# `learn` trains it on the same batches, in the same order, for every way.


# %% slideshow={"slide_type": "-"}
def new_model(way, pretrained, classes=5, seed=0):
    """The network, optimizer and batch-norm mode for one of the WAYS."""
    torch.manual_seed(seed)
    model = cifar_resnet(classes)  # a new head, the same in every way
    if way != WAYS[0]:  # every weight but the head's from pre-training
        model.load_state_dict({k: v for k, v in pretrained.items() if not k.startswith("fc.")},
                              strict=False)
    params, frozen = PARAMS[way](model)
    optimizer = torch.optim.SGD(params, lr=transfer.TRANSFER_LR, momentum=transfer.MOMENTUM,
                                weight_decay=transfer.WEIGHT_DECAY)
    return model, optimizer, frozen


def learn(way, pretrained, images, labels, epochs, seed=0):
    model, optimizer, frozen = new_model(way, pretrained, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    batches = TensorBatches(images, labels, transfer.BATCH_SIZE, shuffle=True,
                            generator=generator)
    transfer.train_epochs(model, optimizer, batches, epochs, generator, frozen_statistics=frozen)
    return model


# %% [markdown] slideshow={"slide_type": "subslide"}
# The same three ways are `course_utils.transfer.transfer`, which `make reproduce` runs. From the
# same weights and a few images, the notebook's copy and the library's end with identical
# weights:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
tiny_x, tiny_y = torch.randn(12, 3, 32, 32), torch.arange(12) % 5
tiny_pretrained = cifar_resnet(5).state_dict()
for way in WAYS:
    ours = learn(way, tiny_pretrained, tiny_x, tiny_y, epochs=1).state_dict()
    library = transfer.transfer(way, tiny_pretrained, tiny_x, tiny_y, epochs=1).state_dict()
    same = all(torch.equal(ours[k], library[k]) for k in ours)
    trainable = sum(p.numel() for p in new_model(way, tiny_pretrained)[1].param_groups[0]["params"])
    print(f"{way:30s} identical: {same}; first group trains {trainable:,} weights")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The race, on 100 images per class
#
# Every way trains for the same epochs on the same 500 images, in the same order; the test set
# is all 5,000 test images of the five new classes.

# %% slideshow={"slide_type": "-"}
new = select_classes(images, labels, transfer.TARGET_CLASSES, transfer.PER_CLASS)
new_test = select_classes(test_images, test_labels, transfer.TARGET_CLASSES)
results = {}
for way in WAYS:
    start = time.perf_counter()
    model = learn(way, pretrained, *new, cfg.transfer_epochs)
    seconds = time.perf_counter() - start
    results[way] = (transfer.accuracy(model, *new_test), transfer.accuracy(model, *new), seconds)
print(f"{len(new[1])} training images, {len(new_test[1]):,} test images, "
      f"{cfg.transfer_epochs} epochs")
print(f"{'way':30s} {'test':>6s} {'train':>6s}  time")
for way, (test_acc, train_acc, seconds) in results.items():
    print(f"{way:30s} {test_acc:6.1%} {train_acc:6.1%} {seconds:4.0f} s")
if cfg.profile == "full" and not ON_STANDIN:
    assert results[WAYS[2]][0] > results[WAYS[0]][0], "fine-tuning should beat from scratch"

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Test and training accuracy

# %% slideshow={"slide_type": "-"}
fig, ax = plt.subplots(figsize=(8, 3))
rows = torch.arange(len(WAYS))
for shift, column, label in [(-0.2, 0, "test (new classes)"), (0.2, 1, "training images")]:
    ax.barh(rows + shift, [100 * results[way][column] for way in WAYS], 0.4, label=label)
ax.set_yticks(rows, WAYS)
ax.invert_yaxis()  # the first way on top
ax.set(xlabel="accuracy (%)", xlim=(0, 100))
ax.legend(loc="lower right")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why fine-tuning wins here
#
# In the full-profile run, fine-tuning won: 71.2 % against 65.7 % from scratch, with the frozen
# backbone last at 62.7 %. Two things are at work. Features learned on airplanes, cars, birds,
# cats and deer are a good start for dogs, horses, ships and trucks — fine-tuning adjusts them with
# 500 images and keeps the rest. But they are not the features the new classes need: frozen, they
# cannot change, and a linear head on them stays behind (its training accuracy, far below 100 %,
# shows it cannot even fit the training images). Training from scratch is strong here because the
# task is small — five rather distinct classes at 32×32 — but it learns the training images by
# heart and generalises less well. A backbone trained on ImageNet's more than a million images,
# the usual starting point, has far more general features than one trained on 25,000; section 6
# tries them where the weights are available.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. The same code with ImageNet's weights
#
# With ImageNet's ResNet-18 in the cache, the frozen-backbone way needs only two changes: the
# images go through the weights' own `transforms()` (resized to 224, normalised with ImageNet's
# statistics, from float images in [0, 1]), and the backbone is torchvision's unmodified
# ResNet-18, loaded by `load_pretrained` in section 3 (`imagenet_resnet`, with `loaded` saying
# whether its weights are ImageNet's).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Features from the frozen ImageNet backbone, and a head on them
#
# A frozen backbone gives the same features every epoch, so they are computed once; the new head
# then trains on 500 vectors of 512 numbers in a blink.


# %% slideshow={"slide_type": "-"}
def imagenet_features(backbone, weights, batch):
    """(N,512) features of our (N,3,32,32) images in [-1, 1], by a torchvision ResNet."""
    preprocess = weights.transforms()  # float in [0, 1] -> (N,3,224,224), ImageNet's mean/std
    head, backbone.fc = backbone.fc, nn.Identity()  # the backbone: (N,3,224,224) -> (N,512)
    backbone.eval()
    try:
        with torch.no_grad():  # x * 0.5 + 0.5 undoes Normalize(0.5, 0.5): back to [0, 1]
            return torch.cat([backbone(preprocess(x * 0.5 + 0.5)) for x in batch.split(50)])
    finally:
        backbone.fc = head


def train_head(features, labels, classes=5, steps=200):
    torch.manual_seed(0)
    head = nn.Linear(features.shape[1], classes)  # (N,512) -> (N,5)
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-3)
    for _ in range(steps):  # full-batch steps on the feature vectors
        optimizer.zero_grad()
        nn.functional.cross_entropy(head(features), labels).backward()
        optimizer.step()
    return head


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The input the transforms expect
#
# `transforms()` takes uint8 images (0–255) or float images in [0, 1], and normalises them
# itself. Our tensors are already normalised to [−1, 1]; fed as they are, they would be
# normalised twice. On two random images, uint8 and float in [0, 1] agree (up to the rounding of
# resizing uint8 pixels), our [−1, 1] tensor does not, and the features come out as 512 numbers:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
pixels = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)  # two 32x32 images
preprocess = weights.transforms()
reference = preprocess(pixels)  # (2,3,32,32) uint8 -> (2,3,224,224) float
for name, batch in [("float in [0, 1]", pixels / 255), ("our [-1, 1]", pixels / 127.5 - 1)]:
    gap = (preprocess(batch) - reference).abs().max()
    print(f"{name:16s} -> {tuple(preprocess(batch).shape)}, largest gap to uint8: {gap:.4f}")
features = imagenet_features(imagenet_resnet, weights, pixels / 127.5 - 1)
print(f"imagenet_features: {tuple(features.shape)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### With the weights: a new head on ImageNet's features
#
# Without the weights the cell says what it would have done and stops: a random 224-pixel
# backbone teaches nothing, and costs minutes on a CPU.

# %% slideshow={"slide_type": "-"}
if not loaded:
    print(f"fallback: {weights} could not be loaded (section 3), so this cell trains nothing.")
    print(f"With it, it would compute ImageNet features of the {len(new[1])} training and the "
          "first 1,000 test images of the new classes (resized to 224) and train a new head.")
else:
    head = train_head(imagenet_features(imagenet_resnet, weights, new[0]), new[1])
    test_features = imagenet_features(imagenet_resnet, weights, new_test[0][:1000])
    with torch.no_grad():
        hits = head(test_features).argmax(1) == new_test[1][:1000]
    print(f"ImageNet features + a new head: {hits.float().mean():.1%} on {len(hits):,} test images")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - `list_models`, `get_model(name, weights=...)` and `get_model_weights(name)` reach the whole
#   zoo; a weights enum member carries its file's URL, its `transforms()` and its `meta`.
# - `pretrained=True` became `weights=...Weights.DEFAULT` (or an exact member) in torchvision
#   0.13: a name for exact weights, with their preprocessing.
# - Weights are cached in `torch.hub.get_dir()/checkpoints`; torchvision's download has no time
#   limit and checks the hash only while downloading. `load_pretrained` bounds the wait, falls
#   back to random weights in one line, and names a corrupt file and the fix.
# - Transfer learning: a new head; freeze the backbone (in eval mode, for batch norm) or
#   fine-tune it with a lower learning rate in its own parameter group. With few images,
#   starting from trained features beats starting from nothing.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Solutions are hidden below each exercise (click to expand in JupyterLab). Try first.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 1 — what a frozen backbone leaves to learn.** For the frozen way, count the
# trainable parameters of `new_model(WAYS[1], pretrained)` and their share of the whole network.
# Check the count against the head's shape.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
frozen_model, _, _ = new_model(WAYS[1], pretrained)
trainable = sum(p.numel() for p in frozen_model.parameters() if p.requires_grad)
total = sum(p.numel() for p in frozen_model.parameters())  # count_parameters counts trainable
share = trainable / total
print(f"{trainable:,} trainable of {total:,} ({share:.3%})")
assert trainable == 512 * 5 + 5 == frozen_model.fc.weight.numel() + frozen_model.fc.bias.numel()
assert trainable == count_parameters(frozen_model) and share < 0.001

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 — eval mode matters.** Train the frozen way for one epoch on the new images with
# the model left in *training* mode (call `transfer.train_epochs` with `frozen_statistics=False`)
# and check that the backbone's batch-norm running means have changed although no weight of the
# backbone did.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
model, optimizer, _ = new_model(WAYS[1], pretrained)
before = {k: v.clone() for k, v in model.state_dict().items()}
batches = TensorBatches(*new, transfer.BATCH_SIZE, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
transfer.train_epochs(model, optimizer, batches, 1, frozen_statistics=False)
after = model.state_dict()
moved_stats = [k for k in after
               if k.endswith("running_mean") and not torch.equal(after[k], before[k])]
moved_weights = [k for k, p in model.named_parameters()
                 if not k.startswith("fc.") and not torch.equal(p, before[k])]
print(f"{len(moved_stats)} running means changed, {len(moved_weights)} backbone weights changed")
assert moved_stats and not moved_weights

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 — the learning rates of fine-tuning.** Print the learning rate of each parameter
# group of the fine-tuning optimizer, and check that the groups together hold every parameter of
# the network exactly once.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
model, optimizer, _ = new_model(WAYS[2], pretrained)
rates = [group["lr"] for group in optimizer.param_groups]
print("learning rates:", rates)
held = [id(p) for group in optimizer.param_groups for p in group["params"]]
assert rates == [transfer.TRANSFER_LR * transfer.BACKBONE_LR_FACTOR, transfer.TRANSFER_LR]
assert sorted(held) == sorted(id(p) for p in model.parameters()) and len(set(held)) == len(held)
