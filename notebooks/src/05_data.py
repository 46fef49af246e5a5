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
# # Chapter 5 — Data: Dataset, DataLoader, transforms
#
# A network learns from data one **mini-batch** at a time, and a lot of the code around a
# training loop is about getting those batches: reading examples, turning them into tensors,
# shuffling them, grouping them, and doing all of it fast enough to keep the model busy.
#
# In this chapter we:
#
# - cut tensors into shuffled mini-batches with `TensorDataset` and `DataLoader`;
# - write our own `Dataset` that reads a CSV file;
# - load MNIST through torchvision and see what `ToTensor` and `Normalize` do to the pixels;
# - look at worker processes (`num_workers`): what they do, and why they sometimes crash;
# - measure the book's fast path (decode once, batch from memory) against the per-image pipeline.

# %% slideshow={"slide_type": "subslide"}
import os
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from course_utils.device import seed_everything
from course_utils.profile import settings

cfg = settings("05")
generator = seed_everything(0)
print(f"torch {torch.__version__}, profile {cfg.profile!r}, settings {vars(cfg)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Mini-batches with `TensorDataset` and `DataLoader`
#
# Gradient descent can compute the loss on the whole training set before every step (exact, but
# one step costs a full pass), or on a single example (cheap, but very noisy). Training uses the
# middle way: a **mini-batch** of, say, 64 examples per step. Three words recur:
#
# - a **batch** (mini-batch): the examples used for one optimisation step;
# - a **step** (iteration): one forward pass, backward pass and update, on one batch;
# - an **epoch**: one pass over the whole training set, i.e. `ceil(N / batch_size)` steps.
#
# PyTorch splits the job in two. A **`Dataset`** knows how many examples there are and returns
# example number `i`; a **`DataLoader`** picks the indices (in order or shuffled), asks the
# dataset for each, and stacks the examples into batch tensors.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `TensorDataset`: examples that are already tensors
#
# The video-course notes build their dataset with
# `Data.TensorDataset(data_tensor=x, target_tensor=y)`. Those two keywords belong to PyTorch
# 0.3; since 0.4 `TensorDataset` takes **any number of tensors positionally**,
# `TensorDataset(x, y)`, and the old call is an error. Indexing the dataset gives one example,
# a tuple with one entry per tensor:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
x = torch.linspace(1, 10, 10)  # inputs  1, 2, ..., 10
y = torch.linspace(10, 1, 10)  # targets 10, 9, ..., 1
try:
    TensorDataset(data_tensor=x, target_tensor=y)
except TypeError as error:
    print("TypeError:", error)
pairs = TensorDataset(x, y)  # the modern form: tensors in order, same first dimension
print("len:", len(pairs))
print("pairs[0]:", pairs[0])  # (x[0], y[0]): one example is a tuple
print("pairs[9]:", pairs[9])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Batches, shuffled reproducibly
#
# `DataLoader(dataset, batch_size=5, shuffle=True)` draws a fresh random order of the indices at
# the start of **every** epoch and serves them five at a time. The order comes from a random
# generator: pass your own seeded `torch.Generator` and the batches are the same on every run
# (without one, the loader draws from torch's global generator). Each epoch below is a new
# permutation, and every `x` stays paired with its own `y` (they always add up to 11).
# `enumerate` only numbers the batches. The notes also pass `num_workers=2`; we leave it at its
# default, 0, until the section on worker processes.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
loader = DataLoader(pairs, batch_size=5, shuffle=True, generator=torch.Generator().manual_seed(0))
for epoch in range(3):  # three passes over the whole data set
    for step, (batch_x, batch_y) in enumerate(loader):  # one step = one batch
        # a real loop would train on (batch_x, batch_y) here
        print(f"epoch {epoch} | step {step} | x {batch_x.tolist()} | y {batch_y.tolist()}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The last, partial batch and `drop_last`
#
# Ten examples split into batches of five exactly. With `batch_size=4` they do not: the last
# batch holds the 2 left over. `len(loader)` counts batches, not examples. `drop_last=True`
# throws the short batch away, which helps when a layer cannot cope with a batch of one
# (batch normalisation, Chapter 13) or when every step must see the same shape; the dropped
# examples change from epoch to epoch when the data is shuffled.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
for drop_last in (False, True):
    loader = DataLoader(pairs, batch_size=4, shuffle=True, drop_last=drop_last,
                        generator=torch.Generator().manual_seed(0))
    sizes = [len(batch_x) for batch_x, _ in loader]
    print(f"drop_last={drop_last}: len(loader) = {len(loader)}, batch sizes {sizes}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One batch: `next(iter(loader))`
#
# To look at a single batch, make an iterator and take its first item. The blitz notes write
# `dataiter.next()`, a Python 2 method that DataLoader iterators no longer have; the built-in
# `next(dataiter)` is the modern form.
#
# Under the hood the loader calls `dataset[i]` for each index of the batch, then a **collate**
# function turns the list of `(x, y)` tuples into a tuple of stacked tensors.
# `default_collate` does that; you can pass your own as `collate_fn=`.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
from torch.utils.data import default_collate

batch_x, batch_y = next(iter(DataLoader(pairs, batch_size=4)))  # not shuffled: 0, 1, 2, 3
print("first batch:", batch_x, batch_y)
samples = [pairs[i] for i in range(4)]  # what the loader fetched: a list of 4 tuples
print("by hand    :", default_collate(samples))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Your own `Dataset`: rows of a CSV file
#
# Any object with two methods is a dataset the `DataLoader` can use:
#
# - `__len__(self)`: the number of examples, so `len(dataset)` works;
# - `__getitem__(self, index)`: example number `index`, so `dataset[index]` works.
#
# Subclass `torch.utils.data.Dataset` to say so. The university notes read `data-diabetes.csv`,
# a table of patients: a row of measurements, then a last column that is 1 when the patient
# developed diabetes. We don't have that file, so we generate a table of the same form, 759 rows
# of eight measurements scaled to [-1, 1], with a seeded generator (a logistic model decides the
# labels, so there is something to learn) and write it, with a header line, into a temporary
# folder that disappears when the kernel stops.

# %% slideshow={"slide_type": "subslide"}
import csv

columns = ["pregnancies", "glucose", "blood_pressure", "skin_fold",
           "insulin", "bmi", "pedigree", "age"]
rng = np.random.default_rng(0)
features = rng.uniform(-1, 1, size=(759, len(columns))).round(3)  # (759, 8)
weights = np.array([0.4, 2.5, 0.2, 0.1, 0.3, 1.5, 0.6, 0.8])  # glucose and bmi matter most
risk = 1 / (1 + np.exp(-(features @ weights - 0.6)))  # probability of diabetes per row
labels = (rng.random(len(features)) < risk).astype(int)  # (759,) of 0/1

workdir = tempfile.TemporaryDirectory(prefix="ch05-")  # removed when the kernel stops
csv_path = Path(workdir.name) / "diabetes.csv"
with csv_path.open("w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow([*columns, "diabetes"])
    writer.writerows([*row, label] for row, label in zip(features.tolist(), labels, strict=True))
print(f"wrote {csv_path.name}: {len(features)} rows, {csv_path.stat().st_size:,} bytes")

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
print("".join(csv_path.read_text().splitlines(keepends=True)[:4]))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The `Dataset` class
#
# The file is small, so `__init__` reads it once into two tensors and `__getitem__` only indexes
# them. (A dataset of large files would store the file names in `__init__` and open one file
# per `__getitem__`.) Compared with the notes' version, this one closes the parenthesis that the
# notes' `torch.from_numpy(xy[:, 0:-1]` leaves open, and calls the class by the name it was
# defined with (the notes define `MyDataset` and then call `Mydataset()`).

# %% slideshow={"slide_type": "-"}
class DiabetesCSV(Dataset):
    """Rows of a CSV file with a header line: the features, then a 0/1 label in the last column."""

    def __init__(self, path):
        array = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)  # (rows, 9)
        self.features = torch.from_numpy(array[:, :-1])  # (rows, 8)
        self.labels = torch.from_numpy(array[:, [-1]])  # (rows, 1): [-1] in a list keeps the axis

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.features[index], self.labels[index]


# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
table = DiabetesCSV(csv_path)
print("len:", len(table))
features_0, label_0 = table[0]
print("table[0]:", features_0, label_0)
print("shapes:", tuple(features_0.shape), tuple(label_0.shape), "| dtype:", features_0.dtype)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Batches from the CSV dataset
#
# The `DataLoader` neither knows nor cares where the rows came from. The labels keep their
# column axis, so a batch of targets is `(32, 1)`, the shape of a one-output model's prediction.
# 759 = 23 × 32 + 23, so an epoch is 24 batches and the last one holds 23 rows.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
table_loader = DataLoader(table, batch_size=32, shuffle=True,
                          generator=torch.Generator().manual_seed(0))
inputs, targets = next(iter(table_loader))
print("inputs:", tuple(inputs.shape), "targets:", tuple(targets.shape))
print("first targets:", targets[:8, 0].tolist())
print("batches per epoch:", len(table_loader), "| sizes:", [len(t) for _, t in table_loader][-3:])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A training loop fed by the loader
#
# `random_split` (with a seeded generator) keeps 20 % of the rows aside for validation, then the
# usual loop runs: for every epoch, for every batch, forward, loss, backward, step. The model is
# logistic regression: one linear layer, and `BCEWithLogitsLoss`, which applies the sigmoid
# itself. (The notes wrap each batch in `Variable(...)`: not needed since PyTorch 0.4, batches are
# plain tensors.)

# %% slideshow={"slide_type": "-"}
from torch import nn
from torch.utils.data import random_split

split = torch.Generator().manual_seed(0)
train_rows, val_rows = random_split(table, [0.8, 0.2], generator=split)
torch.manual_seed(0)
model = nn.Linear(8, 1)  # (N, 8) -> (N, 1) logits
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.BCEWithLogitsLoss()
train_loader = DataLoader(train_rows, batch_size=32, shuffle=True, generator=generator)
for epoch in range(20):
    for inputs, targets in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
    if epoch % 5 == 4:
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.3f}")

# %% slideshow={"slide_type": "subslide"}
@torch.no_grad()
def accuracy(rows):
    inputs, targets = next(iter(DataLoader(rows, batch_size=len(rows))))  # all rows at once
    return ((model(inputs) > 0).float() == targets).float().mean().item()


train_acc, val_acc = accuracy(train_rows), accuracy(val_rows)
print(f"{len(train_rows)} train rows: {train_acc:.1%} | {len(val_rows)} validation rows: "
      f"{val_acc:.1%} | always 'no diabetes': {1 - table.labels.mean().item():.1%}")
assert train_acc > 0.68 and val_acc > 0.6

# %% [markdown] slideshow={"slide_type": "slide"}
# ## torchvision: datasets and transforms
#
# torchvision is PyTorch's computer-vision companion package, in three parts:
#
# - `torchvision.datasets`: MNIST, CIFAR-10/100, ImageNet, COCO, `ImageFolder`, ... all of them
#   `Dataset`s, so everything above applies;
# - `torchvision.transforms`: conversions and augmentations of images;
# - `torchvision.models`: network architectures and trained weights (Chapter 15).
#
# A dataset is made like `datasets.MNIST(root, train=True, transform=None,
# target_transform=None, download=False)`: `transform` is applied to each image,
# `target_transform` to each label, inside `__getitem__`. The university notes say MNIST is read
# from `MNIST/processed/training.pt`; today's torchvision reads the four original files in
# `MNIST/raw/`, and the old attributes `.train_data`, `.test_data`, `.test_labels` are now `.data`
# and `.targets`.
#
# The book calls `course_utils.data.mnist(train, transform)`, which builds that same dataset from
# the best source on this machine and prints one line saying which.

# %% slideshow={"slide_type": "-"}
from course_utils.data import is_standin, mnist

mnist_train = mnist(train=True)  # no transform: items are (PIL image, label)
image, label = mnist_train[0]
pixels = np.asarray(image)
print(f"{type(image).__name__}, size {image.size}, mode {image.mode!r}, label {label}")
print(f"pixels: {pixels.dtype} {pixels.shape}, min {pixels.min()}, max {pixels.max()}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The canonical call, on the files the book put in place
#
# `course_utils.data.mnist` ends in exactly this call: once the four MNIST files sit in
# `<data dir>/MNIST/raw/`, torchvision reads them itself. With `download=False` it never goes
# to the network; a missing file is an error ("Dataset not found"). `.data` and `.targets` hold
# the tensors. The old names still answer, for now, with a warning that names the new one.

# %% slideshow={"slide_type": "subslide"}
import warnings

from torchvision import datasets

from course_utils.paths import data_dir

if is_standin(mnist_train):
    print("(the offline stand-in: there are no MNIST files for torchvision to read)")
else:
    canonical = datasets.MNIST(root=data_dir(), train=True, download=False)
    print(f"{len(canonical):,} images; .data {tuple(canonical.data.shape)} "
          f"{canonical.data.dtype}, .targets {tuple(canonical.targets.shape)}")
    print("same first image as the book's loader:",
          bool((canonical.data[0].numpy() == pixels).all()))
    for old, new in (("train_data", "data"), ("train_labels", "targets")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            same = torch.equal(getattr(canonical, old), getattr(canonical, new))
        warning = caught[0]
        print(f".{old} is .{new}: {same}, with a {warning.category.__name__}: {warning.message}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `ToTensor`: from a PIL image to a float tensor
#
# The blitz notes say torchvision's datasets give "PIL images with values in [0, 1]". They don't:
# the PIL image holds **integers 0–255** (`uint8`), as printed above. `transforms.ToTensor()`
# does two things:
#
# 1. divides by 255, giving `float32` values in [0, 1];
# 2. moves the channel axis first: `(H, W)` or `(H, W, C)` becomes `(C, H, W)`, PyTorch's layout.

# %% slideshow={"slide_type": "-"}
from torchvision import transforms

as_tensor = transforms.ToTensor()(image)
print(f"{as_tensor.dtype} {tuple(as_tensor.shape)}, "
      f"min {as_tensor.min().item()}, max {as_tensor.max().item():.4f}")
assert torch.equal(as_tensor[0], torch.tensor(pixels).float() / 255)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `Normalize(mean, std)`: why (0.5, 0.5) gives [-1, 1]
#
# `transforms.Normalize(mean, std)` computes, for every pixel of channel $c$,
#
# $$\text{out} = \frac{\text{in} - \text{mean}_c}{\text{std}_c}.$$
#
# With mean 0.5 and std 0.5 that is $(x - 0.5)/0.5 = 2x - 1$: the ends of [0, 1] go to
# $2 \cdot 0 - 1 = -1$ and $2 \cdot 1 - 1 = 1$, and the middle, 0.5, to 0. So
# `Compose([ToTensor(), Normalize((0.5,), (0.5,))])` maps pixel values onto [-1, 1]. The tuples
# hold one value per channel: `(0.5,)` for grey MNIST, `(0.5, 0.5, 0.5)` for RGB CIFAR-10.
# First on fixed numbers, then on the first MNIST image, through a dataset that applies the
# composed transform to every image it returns.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
values = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0]).view(1, 1, 5)  # (C=1, H=1, W=5)
normalize = transforms.Normalize((0.5,), (0.5,))
print("in          :", values.flatten().tolist())
print("Normalize   :", normalize(values).flatten().tolist())
print("(x-0.5)/0.5 :", ((values - 0.5) / 0.5).flatten().tolist())
rgb = torch.tensor([0.0, 0.5, 1.0]).view(3, 1, 1).expand(3, 2, 2)  # R=0, G=0.5, B=1 everywhere
print("RGB         :", transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))(rgb)[:, 0, 0])

# %% slideshow={"slide_type": "subslide"}
to_minus1_1 = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
mnist_minus1_1 = mnist(train=True, transform=to_minus1_1)  # the dataset applies it to each item
before, after = transforms.ToTensor()(image), mnist_minus1_1[0][0]
print(f"after ToTensor : min {before.min().item():+.4f}, max {before.max().item():+.4f}")
print(f"after Normalize: min {after.min().item():+.4f}, max {after.max().item():+.4f}")
assert after.min() == -1 and after.max() <= 1 and torch.allclose(after, 2 * before - 1)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The data set's own mean and standard deviation
#
# (0.5, 0.5) only fixes the **range**. Many MNIST examples use `Normalize((0.1307,), (0.3081,))`
# instead: the mean and standard deviation of all training pixels, so that normalised pixels
# have mean 0 and standard deviation 1 over the training set (we check that in the fast-path
# section). Those numbers are not magic; we compute them from `.data`, all 60,000 images as one
# `uint8` array.

# %% slideshow={"slide_type": "-"}
all_pixels = torch.as_tensor(mnist_train.data).float() / 255  # (60000, 28, 28) in [0, 1]
mnist_mean, mnist_std = all_pixels.mean().item(), all_pixels.std().item()
print(f"MNIST train: mean {mnist_mean:.4f}, std {mnist_std:.4f} over {all_pixels.numel():,} pixels")
assert 0.05 < mnist_mean < 0.5 and 0.1 < mnist_std < 0.5
if not is_standin(mnist_train):  # the real MNIST
    assert round(mnist_mean, 4) == 0.1307 and round(mnist_std, 4) == 0.3081

# %% [markdown] slideshow={"slide_type": "fragment"}
# The output above reproduces the familiar 0.1307 and 0.3081. MNIST is mostly black background,
# hence the low mean. Either normalisation trains well; what matters is that the inputs are
# centred near zero with a moderate spread, and that test images get **the same** transform,
# with the statistics of the training set.
#
# Chapter 00 wrote the first step with the newer `transforms.v2` API,
# `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])`, which gives the same
# tensor. The classic `transforms.ToTensor()` used here remains supported; only `v2.ToTensor`
# is deprecated.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A batch of transformed images
#
# Give the dataset with its transform (`mnist_minus1_1`, above) to a loader, and every batch
# arrives as one tensor `(N, C, H, W)`. `show_images` takes the `mean`/`std` of the `Normalize`
# step to undo it for display.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
grid_loader = DataLoader(mnist_minus1_1, batch_size=16, shuffle=True,
                         generator=torch.Generator().manual_seed(0))
images, labels = next(iter(grid_loader))
print("images:", tuple(images.shape), images.dtype, "| labels:", tuple(labels.shape), labels.dtype)

# %% slideshow={"slide_type": "-"}
from course_utils.plots import show_images

show_images(images, labels, mean=(0.5,), std=(0.5,), ncols=8)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Worker processes: `num_workers`
#
# With `num_workers=0` (the default) the main process does everything: for each batch it calls
# `__getitem__` 64 times (for MNIST: build a PIL image, `ToTensor`, `Normalize`), collates, and
# only then trains on the batch. With `num_workers=k` the loader starts **k worker processes** at
# the start of each epoch (unless `persistent_workers=True` keeps them alive):
#
# - each worker gets its own copy of the dataset and builds whole batches: worker 0 batch 0,
#   worker 1 batch 1, and so on, each keeping up to `prefetch_factor` (2) batches ready ahead;
# - finished batches come back through shared memory, and the loader hands them out in order;
# - each worker seeds torch, `random` and NumPy with its own seed derived from the loader's
#   generator, so random augmentations differ between workers.
#
# Workers pay off when preparing a batch is slow and there are cores to spare: decoding JPEG
# photos, random augmentations, a GPU training while the CPU prepares the next batch. They cost
# a process start per epoch, and they compete with the main process (and with the training
# itself) for cores. Here is loading alone, no training: one pass over `cfg.timing_images` MNIST
# images (fewer if the stand-in has fewer), batches of `cfg.batch_size`, with 0 and 2 workers.

# %% slideshow={"slide_type": "subslide"}
from torch.utils.data import Subset

per_image = transforms.Compose([transforms.ToTensor(),
                                transforms.Normalize((mnist_mean,), (mnist_std,))])
timing_count = min(cfg.timing_images, len(mnist_train))
timing_set = Subset(mnist(train=True, transform=per_image), range(timing_count))


def time_epoch(batches):
    start = time.perf_counter()
    count = sum(len(labels) for _, labels in batches)  # iterate once; touch every batch
    return time.perf_counter() - start, count


seconds = {}  # one epoch, per way of loading
print(f"this machine: {os.cpu_count()} CPU cores")
for workers in (0, 2):
    loader = DataLoader(timing_set, batch_size=cfg.batch_size, shuffle=True,
                        num_workers=workers, generator=generator)
    key = f"DataLoader, {workers} workers"
    seconds[key], count = time_epoch(loader)
    print(f"{key}: {count:,} images in {seconds[key]:.2f} s")

# %% [markdown] slideshow={"slide_type": "subslide"}
# With two workers, two processes decode images at the same time while the main process only
# collects finished batches. Against that stand starting the workers and shipping every batch
# between processes, and on two cores three processes share two cores. On a 2-core machine the
# two effects are close, so the winner can change from run to run when other programs are busy
# too; compare the two lines above. In training, the workers also compete with the model's own
# arithmetic for the same cores. With more cores, or a more expensive transform (JPEG decoding,
# augmentations), workers win clearly. Measure before you turn them on.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### When workers crash: fork and spawn
#
# How a worker gets "its own copy of the dataset" depends on the operating system's way of
# starting processes:
#
# - **fork** (Linux's default up to Python 3.13): the worker starts as a copy of the running
#   process, with every object and class already in memory. Anything works.
# - **spawn** (the default on Windows and macOS; Python 3.14 makes the similar *forkserver* the
#   Linux default): the worker is a **fresh Python** that imports your main module, then receives
#   the dataset **pickled**. A class is pickled by *name* (`__main__.DiabetesCSV`), so the worker
#   must be able to import it.
#
# A class defined in a notebook lives only in the kernel's memory: a spawned worker can't find
# it. We can force spawn on any system to see what Windows and macOS users get:

# %% slideshow={"slide_type": "subslide"}
import multiprocessing
import re

print("this machine's default start method:", multiprocessing.get_start_method())
spawned = DataLoader(table, batch_size=32, num_workers=1, multiprocessing_context="spawn")
try:
    next(iter(spawned))
    crashed = False
except RuntimeError as error:  # the worker died while unpickling the dataset
    print("RuntimeError:", re.sub(r" \(pid\(s\) [\d, ]+\)", "", str(error)))  # no pid
    crashed = True
assert crashed

# %% [markdown] slideshow={"slide_type": "subslide"}
# The worker's own traceback (printed above the `RuntimeError`, when Jupyter shows it) ends in
# `AttributeError: Can't get attribute 'DiabetesCSV' on <module '__main__'>`. The torchvision
# dataset of the timing cell, by contrast, works everywhere: its class lives in an importable
# module. So: keep custom `Dataset` classes (and `collate_fn`, `worker_init_fn`) in a `.py` file
# and import them, or use `num_workers=0`, this book's default.
#
# ### The blitz notes' `BrokenPipeError`: the `__main__` guard
#
# The blitz notes advise: "if you get a `BrokenPipeError` on Windows, set `num_workers` to 0".
# The cause is the other half of spawn: each worker **imports the main script**. If the script
# creates the DataLoader at top level, every worker runs that code again, tries to start workers
# of its own while still starting up, and dies; on Windows the parent notices when its pipe to
# the dead worker breaks. The fix is to keep num_workers and put the script's work under
# `if __name__ == "__main__":`, which is true only in the process you started. Two tiny scripts
# show both cases (we force spawn so that this happens on Linux too):

# %% slideshow={"slide_type": "subslide"}
script = '''\
import torch
from torch.utils.data import DataLoader, Dataset

class Squares(Dataset):  # defined in an importable file: spawned workers find it
    def __len__(self):
        return 8
    def __getitem__(self, index):
        return torch.tensor(float(index * index))

def main():
    loader = DataLoader(Squares(), batch_size=4, num_workers=1, multiprocessing_context="spawn")
    print([batch.tolist() for batch in loader])

'''
endings = {"guarded.py": 'if __name__ == "__main__":\n    main()\n', "unguarded.py": "main()\n"}
for name, ending in endings.items():
    (Path(workdir.name) / name).write_text(script + ending)

# %% slideshow={"slide_type": "subslide"}
import subprocess

for name in ("guarded.py", "unguarded.py"):
    run = subprocess.run([sys.executable, name], cwd=workdir.name, capture_output=True,
                         text=True, timeout=300)
    print(f"{name}: exit code {run.returncode}")
    if run.returncode == 0:
        print("    printed:", run.stdout.strip())
    else:
        lines = [line.strip() for line in run.stderr.splitlines()]
        print("    each worker:", next(line for line in lines if "bootstrapping" in line))
        died = [line for line in lines if line.startswith("RuntimeError: DataLoader worker")]
        print("    main process:", re.sub(r" \(pids?(\(s\))? [\d, ]+\)", "", died[-1]))
    assert (run.returncode == 0) == (name == "guarded.py")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The guarded script prints its two batches. In the unguarded one each worker stops with
# "An attempt has been made to start a new process before the current process has finished its
# bootstrapping phase", and the main process reports that its workers exited unexpectedly (on
# Windows: `BrokenPipeError`). Setting `num_workers=0`, as the notes suggest, avoids the crash,
# but so does the guard, which keeps the workers.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The course loaders and the fast path
#
# From here on the book loads its images with `course_utils.data.mnist(train, transform)` and
# `cifar10(train, transform)`. They return the torchvision datasets used above (items
# `(PIL image, label)`, `.data`, `.targets`, `.classes`) and try, in order, the book's data folder,
# the read-only mirror `COURSE_DATA_MIRROR`, torchvision's download and, as a last resort, an
# **offline stand-in**. The printed line names the source; so does the `.source` attribute.
#
# The stand-in means that with no files, no mirror and no network nothing hangs: MNIST becomes
# scikit-learn's bundled 8×8 digits, enlarged to 28×28 (1,437 training images). The chapters
# still run, but their accuracies are not the book's numbers. Here it is next to the real thing.

# %% slideshow={"slide_type": "subslide"}
from course_utils.standins import mnist_standin

standin = mnist_standin(train=True, transform=transforms.ToTensor())
stand_image, stand_label = standin[0]
print(f"stand-in: {len(standin):,} images, {tuple(stand_image.shape)}, first label {stand_label}")
print("source of the MNIST used in this chapter:", repr(mnist_train.source))
stand_images = torch.stack([standin[i][0] for i in range(8)])
real_images = torch.stack([transforms.ToTensor()(mnist_train[i][0]) for i in range(8)])
both_labels = [int(t) for t in mnist_train.targets[:8]] + standin.targets[:8]
# top row: the MNIST used in this chapter; bottom row: the stand-in
show_images(torch.cat([real_images, stand_images]), both_labels, ncols=8)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The fast path: decode once, batch from memory
#
# The per-image pipeline repeats, every epoch, for every image: build a PIL image, convert it,
# normalise it. For small images this per-image bookkeeping, not the arithmetic, is the cost.
# `course_utils.fastpath` does the conversion once:
#
# - `as_tensors(dataset, mean, std, device)` returns all images as one float tensor
#   `(N, C, H, W)`, scaled and normalised exactly like `ToTensor` + `Normalize`, and the labels
#   (it reads the dataset's raw `.data` array, so even CIFAR-10's 50,000 images take a moment);
# - `TensorBatches(images, labels, batch_size, shuffle, generator)` serves mini-batches from them,
#   reshuffled every epoch, like a DataLoader.
#
# First, it must give the same numbers as the DataLoader pipeline, and with MNIST's own
# statistics the normalised pixels should have mean 0 and standard deviation 1:

# %% slideshow={"slide_type": "subslide"}
from course_utils.fastpath import TensorBatches, as_tensors

start = time.perf_counter()
all_images, all_labels = as_tensors(mnist_train, (mnist_mean,), (mnist_std,))
decode_seconds = time.perf_counter() - start
megabytes = all_images.nelement() * all_images.element_size() / 1e6
print(f"as_tensors: {tuple(all_images.shape)} {all_images.dtype}, {megabytes:.0f} MB, "
      f"in {decode_seconds:.2f} s")
print(f"(CIFAR-10's 50,000 colour images would take {50_000 * 3 * 32 * 32 * 4 / 1e6:.0f} MB)")
std, mean = torch.std_mean(all_images)
print(f"normalised with the data set's own statistics: mean {mean:.4f}, std {std:.4f}")
fast_x, fast_y = next(iter(TensorBatches(all_images, all_labels, cfg.batch_size)))
slow_x, slow_y = next(iter(DataLoader(timing_set, batch_size=cfg.batch_size)))
print("largest difference from the DataLoader's batch:", (fast_x - slow_x).abs().max().item())
assert abs(mean) < 1e-3 and abs(std - 1) < 1e-3
assert torch.allclose(fast_x, slow_x, atol=1e-5) and torch.equal(fast_y, slow_y)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Measured: one epoch both ways
#
# Same images, batch size and shuffling as in the worker timing. One detail makes the comparison
# fair: the per-image work runs on one thread (each op is too small to split, and DataLoader
# workers use one thread each), so we time the fast path on one thread too. Its batch copies are
# just big enough for PyTorch to split them across two threads, and on a busy 2-core machine
# every split copy waits for the second thread to get a core, which can make an epoch many times
# slower. The epoch is short, so we take the best of 5.

# %% slideshow={"slide_type": "-"}
n = timing_count
fast_batches = TensorBatches(all_images[:n], all_labels[:n], cfg.batch_size, shuffle=True,
                             generator=generator)
threads = torch.get_num_threads()
torch.set_num_threads(1)
try:
    fast_seconds, count = min(time_epoch(fast_batches) for _ in range(5))
finally:
    torch.set_num_threads(threads)  # back to the default for the rest of the chapter
seconds["fast path (TensorBatches)"] = fast_seconds
print(f"fast path: {count:,} images in {fast_seconds:.3f} s")
for key in ("DataLoader, 0 workers", "DataLoader, 2 workers"):
    print(f"{key}: {seconds[key] / fast_seconds:.0f}x the fast path's time")
print(f"decoding all {len(all_images):,} images once took {decode_seconds:.2f} s")

# %% slideshow={"slide_type": "subslide"}
fig, ax = plt.subplots(figsize=(7, 3.5))
names = [name.replace(", ", ",\n").replace(" (", "\n(") for name in seconds]
bars = ax.bar(names, list(seconds.values()), color=["tab:red", "tab:orange", "tab:green"])
ax.bar_label(bars, labels=[f"{s:.3f} s" for s in seconds.values()])
ax.set_yscale("log")
ax.set_ylabel("seconds per epoch (log scale)")
ax.set_title(f"One epoch of {timing_count:,} MNIST images, batch {cfg.batch_size}")
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# The fast path wins by the factor printed above, and decoding everything costs less than one
# epoch of the per-image pipeline. This is why the later chapters train from `as_tensors` +
# `TensorBatches` whenever the data fits in memory (MNIST as floats: 188 MB; CIFAR-10: 614 MB).
# `Dataset` and `DataLoader` remain the standard, and the right tool when it doesn't: data too
# big for memory, files read from disk, or **random augmentations** that must differ every epoch.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - `TensorDataset(x, y)` (not `data_tensor=`/`target_tensor=`) pairs tensors example by
#   example; `DataLoader(dataset, batch_size, shuffle=True, generator=...)` serves shuffled,
#   reproducible mini-batches; the last batch is partial unless `drop_last=True`.
# - A custom `Dataset` needs `__len__` and `__getitem__`; where the data comes from (a CSV file
#   here) is its own business.
# - `ToTensor` turns 0–255 pixels into `(C, H, W)` floats in [0, 1]; `Normalize(m, s)` computes
#   `(x − m) / s`, so (0.5, 0.5) maps onto [-1, 1] and MNIST's own statistics (0.1307, 0.3081)
#   give mean 0 and standard deviation 1.
# - `num_workers` builds batches in other processes. It needs importable dataset classes and an
#   `if __name__ == "__main__":` guard under spawn; on a 2-core machine it is no reliable win.
# - Decoding once into tensors made an epoch many times faster than the per-image pipeline, with
#   or without workers.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Try each exercise before opening its solution (the hidden cell below it).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1 — counting batches
#
# A dataset has 1,000 examples and the loader uses `batch_size=64`. Predict `len(loader)` and the
# size of the last batch, with and without `drop_last=True`. Check your answers with a
# `DataLoader` over `TensorDataset(torch.arange(1000))`.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
numbers = TensorDataset(torch.arange(1000))
answers = {}
for drop_last in (False, True):
    loader = DataLoader(numbers, batch_size=64, drop_last=drop_last)
    sizes = [len(batch) for (batch,) in loader]  # each batch is a 1-tuple: one tensor per tensor
    answers[drop_last] = (len(loader), sizes[-1])
    print(f"drop_last={drop_last}: {len(loader)} batches, the last one of {sizes[-1]}")
assert answers == {False: (16, 40), True: (15, 64)}  # 1000 = 15 * 64 + 40

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2 — a dataset that standardises its features
#
# Write a `Dataset` `StandardisedCSV(path)` that reads the diabetes CSV like `DiabetesCSV`, but
# rescales each feature column to mean 0 and standard deviation 1 (statistics computed once, in
# `__init__`). Iterate it with a `DataLoader(batch_size=100)`, concatenate the batches, and check
# the mean and standard deviation of every column.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
class StandardisedCSV(DiabetesCSV):
    def __init__(self, path):
        super().__init__(path)  # reads self.features (rows, 8) and self.labels (rows, 1)
        mean, std = self.features.mean(dim=0), self.features.std(dim=0)  # per column: (8,)
        self.features = (self.features - mean) / std


rows = torch.cat([x for x, _ in DataLoader(StandardisedCSV(csv_path), batch_size=100)])
print(f"largest |column mean| {rows.mean(dim=0).abs().max():.1e}, stds {rows.std(dim=0)}")
assert rows.shape == (759, 8)
assert torch.allclose(rows.mean(dim=0), torch.zeros(8), atol=1e-5)
assert torch.allclose(rows.std(dim=0), torch.ones(8), atol=1e-5)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3 — undo `Normalize`
#
# `show_images` undoes `Normalize` before drawing. Do it by hand: take the first image of
# `mnist_minus1_1` (values in [-1, 1]), recover its original `uint8` pixels 0–255, and check
# that they equal `np.asarray(mnist_train[0][0])` exactly.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
normalised, _ = mnist_minus1_1[0]  # (1, 28, 28) in [-1, 1]
in_0_1 = normalised * 0.5 + 0.5  # invert (x - 0.5) / 0.5
recovered = (in_0_1 * 255).round().to(torch.uint8)[0]  # (28, 28), round: floats are inexact
original = torch.tensor(np.asarray(mnist_train[0][0]))  # a copy: PIL's array is read-only
print("recovered range:", recovered.min().item(), "to", recovered.max().item())
assert torch.equal(recovered, original)
