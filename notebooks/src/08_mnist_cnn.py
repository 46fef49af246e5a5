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
# # Chapter 8 — A ConvNet for MNIST, to 99 %
#
# MNIST — 60,000 training and 10,000 test images of handwritten digits, 28×28 grey pixels — is
# the "hello world" of computer vision. LeNet-5 made its name by reaching 99 % on it; the
# handbook chapter this one follows builds a small convolutional network from scratch and
# trains it to the same mark with Adam, 512 images per step, for 20 epochs.
#
# In this chapter we:
#
# - write the handbook's ConvNet with the shape of every layer in a comment, and check those
#   shapes by running a batch through it layer by layer;
# - write the training and test functions out in full, as the handbook does;
# - train it on the real MNIST and print the test accuracy of every epoch **to two decimals**;
# - find out what the handbook's "99 % from epoch 3" really was;
# - look at the digits the network gets wrong, and at its confusion matrix.

# %% slideshow={"slide_type": "subslide"}
import time

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from course_utils.config import progress_enabled
from course_utils.device import pick_device, seed_everything
from course_utils.profile import settings

cfg = settings("08")
device = pick_device()
BATCH_SIZE = 512  # the handbook's batch size, in both profiles
PROGRESS = progress_enabled()  # COURSE_PROGRESS=0 (make book, the tests) hides the bars
print(f"torch {torch.__version__}, profile {cfg.profile!r}, settings {vars(cfg)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The data
#
# `course_utils.data.mnist` returns the torchvision `MNIST` dataset from the best source this
# machine has (Chapter 5); the printed line names it. The handbook normalises every image with
# `Normalize((0.1307,), (0.3081,))`: the mean and standard deviation of all training pixels
# (scaled to [0, 1]), so that the network's inputs have mean 0 and standard deviation 1.

# %% slideshow={"slide_type": "-"}
from course_utils.data import mnist, standin_notice

train_set, test_set = mnist(train=True), mnist(train=False)
ON_STANDIN = standin_notice(train_set)  # prints a NOTICE on the offline stand-in
MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
pixels = torch.as_tensor(train_set.data).float() / 255  # all training pixels, in [0, 1]
print(f"training pixels: mean {pixels.mean():.4f}, std {pixels.std():.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Into memory once: the fast path
#
# The handbook feeds the network through a `DataLoader` over PIL images, which builds a PIL image
# and runs `ToTensor` and `Normalize` for every image, on every epoch. For a network this small that
# per-image work is a large part of the epoch: Chapter 5 timed the loading alone, and `make bench`
# times this very network fed both ways (quoted from one of its runs, on the book's 2-core machine
# and not printed here: its last column, an epoch's time against the compute alone, read "1.65" for
# the epoch fed image by image). So we decode the images once into one normalised tensor with
# `as_tensors` — the same numbers `ToTensor` + `Normalize` produce (Exercise 3 checks it) — and let
# `TensorBatches` serve shuffled mini-batches of 512 from memory, like a `DataLoader` with
# `shuffle=True`.

# %% slideshow={"slide_type": "-"}
from course_utils.fastpath import TensorBatches, as_tensors

generator = seed_everything(0)
x_train, y_train = as_tensors(train_set, MNIST_MEAN, MNIST_STD, device)
x_test, y_test = as_tensors(test_set, MNIST_MEAN, MNIST_STD, device)
n_train = min(cfg.train_images, len(x_train))  # the full profile uses all 60,000
train_loader = TensorBatches(x_train[:n_train], y_train[:n_train], BATCH_SIZE, True, generator)
test_loader = TensorBatches(x_test, y_test, BATCH_SIZE)  # no need to shuffle a test set
print(f"train: {n_train:,} images in {len(train_loader)} batches of up to {BATCH_SIZE}")
print(f"test:  {len(x_test):,} images; one image is {tuple(x_train.shape[1:])}")

# %% slideshow={"slide_type": "subslide"}
from course_utils.plots import show_images

show_images(x_train[:16], y_train[:16], mean=MNIST_MEAN, std=MNIST_STD)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The network, with the shape of every layer
#
# Two convolutions, then two linear layers; ten outputs, one per digit. The handbook recommends
# writing each layer's input and output shape as a comment, and it pays off at once: the size of
# `fc1`'s input, 20·10·10 = 2000, is read straight off the comment above it. With the formula of
# Chapter 3 (kernel $k$, no padding, stride 1: $n \to n - k + 1$): 28 → 24 after the 5×5
# convolution, 24 → 12 after 2×2 pooling, 12 → 10 after the 3×3 convolution.


# %% slideshow={"slide_type": "-"}
class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)  # (N,1,28,28) -> (N,10,24,24): 10 filters, 5x5
        self.conv2 = nn.Conv2d(10, 20, 3)  # (N,10,12,12) -> (N,20,10,10): 20 filters, 3x3
        self.fc1 = nn.Linear(20 * 10 * 10, 500)  # (N,2000) -> (N,500)
        self.fc2 = nn.Linear(500, 10)  # (N,500) -> (N,10): one score per digit

    def forward(self, x):
        x = F.relu(self.conv1(x))  # (N,1,28,28) -> (N,10,24,24)
        x = F.max_pool2d(x, 2, 2)  # (N,10,24,24) -> (N,10,12,12): 2x2 pooling halves
        x = F.relu(self.conv2(x))  # (N,10,12,12) -> (N,20,10,10)
        x = torch.flatten(x, 1)  # (N,20,10,10) -> (N,2000): keep the batch dimension
        x = F.relu(self.fc1(x))  # (N,2000) -> (N,500)
        x = self.fc2(x)  # (N,500) -> (N,10)
        return F.log_softmax(x, dim=1)  # (N,10): log-probabilities


# %% [markdown] slideshow={"slide_type": "fragment"}
# Two changes from the handbook, both for the better. It flattened with
# `out.view(in_size, -1)`, where `in_size = x.size(0)`; `torch.flatten(x, 1)` says what is meant
# (keep dimension 0, merge the rest) and also works on tensors that `view` refuses
# (non-contiguous ones, e.g. in `channels_last` memory format). And `log_softmax` gets its
# `dim=1` — the class dimension — explicitly.

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
torch.manual_seed(0)
model = ConvNet()
print(model)
n_params = sum(p.numel() for p in model.parameters())
print(f"{n_params:,} parameters, {model.fc1.weight.numel():,} of them in fc1's weight")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Checking the comments: a batch through the layers, one step at a time
#
# A comment can lie; the tensor's shape cannot. The next cell repeats `forward` step by step on
# a batch of 512 (the training batch size), prints each shape, and checks that the steps together
# give exactly what `model(x)` gives.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output", "slides-output-subslide"]
steps = [
    ("conv1", model.conv1),
    ("relu", F.relu),
    ("max_pool2d", lambda t: F.max_pool2d(t, 2, 2)),
    ("conv2", model.conv2),
    ("relu", F.relu),
    ("flatten", lambda t: torch.flatten(t, 1)),
    ("fc1", model.fc1),
    ("relu", F.relu),
    ("fc2", model.fc2),
    ("log_softmax", lambda t: F.log_softmax(t, dim=1)),
]
torch.manual_seed(0)
x = torch.randn(BATCH_SIZE, 1, 28, 28)
out = x
print(f"{'input':<12} {tuple(x.shape)}")
for name, step in steps:
    out = step(out)
    print(f"{name:<12} {tuple(out.shape)}")
with torch.no_grad():
    print("same as model(x):", torch.allclose(out, model(x)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same network in `course_utils`
#
# Scripts and later chapters import this network as `course_utils.models.MnistConvNet` instead
# of copying it. "The same" should be checked, not claimed: the cell below loads the weights of
# our `model` into a `MnistConvNet` (this only works if every layer has the same name and shape)
# and compares the two outputs on a random batch.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
from course_utils.models import MnistConvNet

library_model = MnistConvNet()
print(library_model.load_state_dict(model.state_dict()))
torch.manual_seed(1)
batch = torch.randn(64, 1, 28, 28)
with torch.no_grad():
    print("identical outputs:", torch.equal(model(batch), library_model(batch)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Log-probabilities and `nll_loss`
#
# The network ends in `log_softmax`, so its outputs are **log-probabilities**, not logits; the
# matching loss is the negative log-likelihood, `F.nll_loss`. Together the two are exactly the
# cross-entropy that Chapter 4 used on raw logits: `F.cross_entropy(z, y)` computes
# `F.nll_loss(F.log_softmax(z, dim=1), y)`.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
logits, labels = torch.randn(6, 10), torch.randint(0, 10, (6,))
nll = F.nll_loss(F.log_softmax(logits, dim=1), labels)
ce = F.cross_entropy(logits, labels)
print(f"nll_loss(log_softmax) = {nll:.6f}, cross_entropy = {ce:.6f}")
print("equal:", torch.allclose(nll, ce))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Training and testing, written out
#
# As in the handbook, one function trains for one epoch and another measures the test set; the
# loop that calls them is then two lines. `train` is the training step of Chapter 3 in a loop
# over the batches. Since PyTorch 2.0, `zero_grad()` sets the gradients to `None` rather than
# zeroing them — cheaper, and the same for the next `backward()`.


# %% slideshow={"slide_type": "-"}
def train(model, device, loader, optimizer, epoch):
    """One epoch of training; returns the mean training loss."""
    model.train()
    total_loss, seen = 0.0, 0
    for data, target in tqdm(loader, desc=f"epoch {epoch}", leave=False, disable=not PROGRESS):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(target)
        seen += len(target)
    return total_loss / seen


# %% [markdown] slideshow={"slide_type": "subslide"}
# `test` sums the loss over the whole test set (`reduction="sum"`) and divides once at the end,
# so the result is the mean over images, not over batches. The handbook found the predicted digit
# with `output.max(1, keepdim=True)[1]`; `output.argmax(dim=1)` says the same thing directly.
# The handbook also shuffled its test loader: harmless, but the order of test images changes
# nothing.


# %% slideshow={"slide_type": "-"}
@torch.no_grad()  # no graph is needed to measure
def test(model, device, loader):
    """Return the mean test loss, the number of correct predictions and the number of images."""
    model.eval()
    test_loss, correct, total = 0.0, 0, 0
    for data, target in loader:
        data, target = data.to(device), target.to(device)
        output = model(data)
        test_loss += F.nll_loss(output, target, reduction="sum").item()
        correct += (output.argmax(dim=1) == target).sum().item()
        total += len(target)
    return test_loss / total, correct, total


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Twenty epochs with Adam
#
# The handbook picks Adam with its default learning rate, 0.001 — "simple and brute force" — and
# trains for 20 epochs, testing after each. We print the accuracy to two decimals, with the
# count behind it. (`course_utils.training.fit` runs this same loop — train an epoch, test,
# record — and later chapters call it instead of writing the loop out again.)

# %% slideshow={"slide_type": "-"}
seed_everything(0)
model = ConvNet().to(device)
optimizer = torch.optim.Adam(model.parameters())  # lr=0.001, the default
print(f"Adam, lr {optimizer.defaults['lr']}, {cfg.epochs} epochs of {len(train_loader)} batches")

# %% slideshow={"slide_type": "fragment"} tags=["slides-output-subslide"]
history = []  # (test loss, correct, total) after each epoch
start = time.perf_counter()
for epoch in range(1, cfg.epochs + 1):
    epoch_start = time.perf_counter()
    train_loss = train(model, device, train_loader, optimizer, epoch)
    test_loss, correct, total = test(model, device, test_loader)
    history.append((test_loss, correct, total))
    print(
        f"epoch {epoch}: test loss {test_loss:.4f}, accuracy {100 * correct / total:.2f}% "
        f"({correct}/{total})  [train loss {train_loss:.4f}, "
        f"{time.perf_counter() - epoch_start:.1f} s]"
    )
print(f"training and testing took {time.perf_counter() - start:.0f} s")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The first epoch at 99 %, and the best one
#
# The next cell reads the history: the first epoch whose test accuracy is at least 99.00 %, and
# the best epoch. The check at the end is on the **best** epoch, never on the last one alone:
# from one epoch to the next the test accuracy moves by up to a few tenths of a percent, down as
# well as up, as the list above shows.

# %% slideshow={"slide_type": "-"}
accuracies = [100 * correct / total for _, correct, total in history]
first_99 = next((e for e, acc in enumerate(accuracies, 1) if acc >= 99.0), None)
best = max(range(1, len(accuracies) + 1), key=lambda e: accuracies[e - 1])
print(f"first epoch at or above 99.00%: {first_99 or 'none'}")
print(f"best epoch: {best}, {accuracies[best - 1]:.2f}%; last epoch: {accuracies[-1]:.2f}%")
REAL_FULL_RUN = not ON_STANDIN and cfg.profile == "full"
threshold = 99.0 if REAL_FULL_RUN else 60.0  # a short run or the stand-in: clearly above chance
if not REAL_FULL_RUN:
    print(f"(a short run or the stand-in data: checking only that it beat {threshold:.0f}%)")
assert accuracies[best - 1] >= threshold, f"best accuracy {accuracies[best - 1]:.2f}%"

# %% [markdown] slideshow={"slide_type": "notes"}
# Picking the best epoch by its test accuracy is fine for reporting what a recipe reaches, but a
# model chosen that way has seen the test set through the choice. To pick a model honestly, hold
# out a validation split of the training data and choose on that.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What "99 % from epoch 3" really was
#
# The handbook printed its accuracy with `'{:.0f}%'`: rounded to a whole percent. That hides
# exactly the digits that matter near 99 %. Its own printed counts tell the real story; the
# cell below puts them next to what its format made of them.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
seed_correct = (  # the handbook's "Accuracy: n/10000" after each epoch
    [9695, 9825, 9866, 9859, 9885, 9881, 9895, 9886, 9909, 9902]  # epochs 1-10
    + [9905, 9902, 9906, 9896, 9909, 9905, 9922, 9914, 9901, 9899]  # epochs 11-20
)
for epoch in (1, 2, 3, 8, 9, 17, 20):
    exact = seed_correct[epoch - 1] / 100
    print(
        f"epoch {epoch:>2}: {seed_correct[epoch - 1]}/10000 = {exact:.2f}%, printed as {exact:.0f}%"
    )
seed_first = next(e for e, c in enumerate(seed_correct, 1) if c >= 9900)
seed_best = max(range(1, 21), key=lambda e: seed_correct[e - 1])
print(
    f"first epoch truly >= 99.00%: {seed_first}; best: epoch {seed_best}, "
    f"{seed_correct[seed_best - 1] / 100:.2f}%"
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# So "97 % after epoch 1" was 96.95 %, and "99 % from epoch 3" was 98.66 % — rounding turns anything
# from 9,850 correct answers up into "99 %". By its own counts the handbook's network first reached
# 99.00 % at epoch 9, and its best was 99.22 % at epoch 17; it ended at 98.99 %. Our run, printed
# above with two decimals, can be compared with those numbers directly. The exact numbers differ
# (another random initialisation and shuffling order: the handbook did not seed its run; ours is
# seeded, so it repeats on the same machine), but the shape is the same: roughly 97 % after one
# epoch, and 99.00 % only after several.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The two runs, epoch by epoch
#
# The chapter's point in one picture: our test accuracy after each epoch beside the handbook's
# (from its printed counts), with the 99 % line. The shaded band is what the handbook's `{:.0f}`
# format printed as "99 %": everything from 98.5 % up.

# %% slideshow={"slide_type": "-"} tags=["slides-output-subslide"]
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 4))
ax.axhspan(98.5, 99.0, color="0.9", label='printed as "99 %" by the handbook')
ax.axhline(99.0, color="black", lw=1, ls="--", label="99.00 %")
ax.plot(range(1, 21), [c / 100 for c in seed_correct], "o-", label="the handbook (seed 003)")
ax.plot(range(1, len(accuracies) + 1), accuracies, "s-", label="this book's run")
low = min(96.5, min(accuracies) - 0.5)  # a short run or the stand-in starts lower
ax.set(xlabel="epoch", ylabel="test accuracy (%)", xticks=range(1, 21), ylim=(low, 99.5))
ax.legend(loc="lower right")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the network gets wrong
#
# `course_utils.training.predict` runs the trained model (after the last epoch) over the test set
# and returns the scores, the predicted digits and the true ones. The misclassified images are
# shown with the prediction on top and the truth below, in red.

# %% slideshow={"slide_type": "-"} tags=["slides-output-subslide"]
from course_utils.training import predict

_, predicted, targets = predict(model, test_loader, device)
wrong = (predicted != targets).nonzero().squeeze(1)
print(f"{len(wrong)} of {len(targets):,} test digits misclassified")
show = wrong[:24]
show_images(
    x_test[show.to(x_test.device)],
    targets[show],
    predictions=predicted[show],
    mean=MNIST_MEAN,
    std=MNIST_STD,
)

# %% [markdown] slideshow={"slide_type": "fragment"}
# Many of these would make a human hesitate too: a 4 closed at the top looks like a 9, a 7 with
# a bar can pass for a 2. The confusion matrix counts every kind of mistake at once: row = true
# digit, column = prediction, so everything off the diagonal is an error.

# %% slideshow={"slide_type": "subslide"} tags=["slides-output-subslide"]
from course_utils.plots import plot_confusion_matrix
from course_utils.training import confusion_matrix, per_class_accuracy

digits = [str(d) for d in range(10)]
matrix = confusion_matrix(predicted, targets, num_classes=10)
plot_confusion_matrix(matrix, digits, title="MNIST test set: true digit vs prediction")
accuracy_per_digit = per_class_accuracy(matrix).tolist()
print("  ".join(f"{d}: {acc:.2%}" for d, acc in zip(digits, accuracy_per_digit, strict=True)))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Write the shape of every layer in a comment, and check the comments by pushing a batch
#   through the layers one at a time.
# - `log_softmax` + `nll_loss` is the cross-entropy; `torch.flatten(x, 1)` and
#   `argmax(dim=1)` replace the handbook's `view(in_size, -1)` and `max(1, keepdim=True)[1]`.
# - The handbook's recipe — Adam, batch 512, 20 epochs — does reach 99 %, but not "from epoch 3":
#   print accuracies to two decimals (or as counts) before reading them against a threshold.
# - Report the best epoch *and* how the accuracy moves around it; never judge by the last epoch
#   alone.
# - The handbook's closing advice stands: a model that cannot handle MNIST is worthless, and one
#   that can may still be worthless — MNIST is a template for the workflow (data, model,
#   training, testing, looking at the errors), not a benchmark.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Solutions are hidden below each exercise (click to expand in JupyterLab). Try first.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 1 — where the parameters are.** Print the number of parameters of each layer of the
# ConvNet (weights and biases together) and the share of the total. Check that `fc1` holds more
# than 99 % of them, and explain why from the shapes.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
per_layer = {
    name: sum(p.numel() for p in layer.parameters()) for name, layer in model.named_children()
}
total_params = sum(per_layer.values())
for name, count in per_layer.items():
    print(f"{name:<6}{count:>10,}  ({count / total_params:.2%})")
# fc1 connects all 20*10*10 = 2000 activations to 500 units: 2000*500 weights. The convolutions
# share their few small filters across every position, so they need very few.
assert per_layer["fc1"] / total_params > 0.99

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 — a smaller net.** Add a second 2×2 max-pooling after `conv2` (so `fc1` sees
# 20·5·5 = 500 inputs), write the shapes in comments, and count its parameters. Train it with
# Adam for two epochs on `train_loader` using `train` and `test`, and compare its test accuracy
# with the ConvNet's after two epochs. Check that it has less than a third of the parameters and
# that it learned (at least 95 % on the full real data; in a short run or on the stand-in, at
# least 40 %, four times chance).


# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
class SmallConvNet(ConvNet):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20 * 5 * 5, 500)  # (N,500) -> (N,500)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2, 2)  # (N,1,28,28) -> (N,10,12,12)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2, 2)  # (N,10,12,12) -> (N,20,5,5)
        x = F.relu(self.fc1(torch.flatten(x, 1)))  # (N,500) -> (N,500)
        return F.log_softmax(self.fc2(x), dim=1)  # (N,500) -> (N,10)


seed_everything(0)
small = SmallConvNet().to(device)
small_params = sum(p.numel() for p in small.parameters())
small_optimizer = torch.optim.Adam(small.parameters())
for epoch in (1, 2):
    train(small, device, train_loader, small_optimizer, epoch)
_, small_correct, small_total = test(small, device, test_loader)
print(
    f"{small_params:,} parameters ({small_params / n_params:.1%} of the ConvNet's); "
    f"after two epochs {100 * small_correct / small_total:.2f}% vs {accuracies[1]:.2f}%"
)
assert small_params < n_params / 3  # fc1: 500*500 weights instead of 2000*500
assert 100 * small_correct / small_total >= (95.0 if REAL_FULL_RUN else 40.0)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 — the fast path changes nothing.** Load the test set again with the handbook's
# pipeline — `mnist(train=False, transform=...)` with `ToTensor()` and
# `Normalize((0.1307,), (0.3081,))`, in a `DataLoader` with batch size 512 — and measure the
# trained `model` with `test`. Check that it gets exactly the same number right as on the
# in-memory tensors.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
from torch.utils.data import DataLoader
from torchvision import transforms

pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MNIST_MEAN, MNIST_STD)])
pil_loader = DataLoader(mnist(train=False, transform=pipeline), batch_size=BATCH_SIZE)
_, pil_correct, pil_total = test(model, device, pil_loader)
_, fast_correct, _ = test(model, device, test_loader)
print(f"PIL pipeline: {pil_correct}/{pil_total}; in-memory tensors: {fast_correct}/{pil_total}")
assert pil_correct == fast_correct
