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
# # Chapter 13 — Batch normalization
#
# A deep network passes its data through layer after layer. If the numbers reaching an
# activation drift far from zero, a squashing function like tanh answers almost the same for
# all of them, and the layer stops telling its inputs apart. **Batch normalization** (BN,
# 批标准化) puts every layer's inputs back in range: over each mini-batch it subtracts their
# mean, divides by their standard deviation, then lets the network rescale and shift them as it
# learns.
#
# This chapter follows the study notes (day 05) and Morvan's `504_batch_normalization.py`. We:
#
# - write down BN's formulas (lost from the notes' text) and see why tanh needs them;
# - train Morvan's eight-layer tanh net with and without BN from the same seed, write the net
#   with `nn.ModuleList` (and show what his plain Python lists hid), and look inside it, layer by
#   layer, before and after training; then repeat over several seeds;
# - write BN by hand and check it against `nn.BatchNorm1d` in both modes, including the running
#   statistics, PyTorch's `momentum` and a batch of one;
# - train a deep CNN on the real MNIST with and without `BatchNorm2d` at three learning rates, and
#   with BN before or after the ReLU;
# - reproduce the classic bug: a BN network evaluated in training mode.

# %% slideshow={"slide_type": "skip"}
import copy
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.device import pick_device, seed_everything
from course_utils.profile import settings

cfg = settings("13")
device = pick_device()
CNN_THREADS = torch.get_num_threads()  # kept for the MNIST part
torch.set_num_threads(1)  # Morvan's tiny nets: one thread (see the note below)
print(f"torch {torch.__version__}, profile {cfg.profile!r}, settings {vars(cfg)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Threads, decided once here: Morvan's nets multiply matrices of 64 × 10 by 10 × 10, far too
# little work to share, and on this book's 2-core machine his whole experiment ran a little
# faster on one thread than on two when we tried. The CNN of the MNIST part has real work in
# every step (batches of 64 images through five convolutions); it switches back to all
# `CNN_THREADS` threads when it starts.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The idea: normalise between the layer and its activation
#
# The notes explain BN with tanh. Feed it 0.1 and you get about 0.1 back; feed it 2 and you get
# almost 1, and every larger number gives almost 1 too: the layer has lost its feeling for the
# size of its input. This is **saturation** (饱和). Its slope $1 - \tanh^2(z)$, which
# backpropagation multiplies every gradient by, goes to zero at the same time.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
z = torch.tensor([0.1, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0])
for value, out in zip(z, torch.tanh(z), strict=True):
    print(f"tanh({value:4.1f}) = {out:.4f}   slope {1 - out**2:.5f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# 0.1 stays 0.0997 and 2 becomes 0.9640, as the notes say; 5 and 10 come out as 0.9999 and
# 1.0000, indistinguishable, and the slope at 5 is 0.00018. The same thing can happen inside a
# network: if a hidden layer's outputs drift to large values (or all to the same value), the
# next tanh flattens them.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The formulas
#
# BN normalises each unit (each feature; each channel in a CNN) over the mini-batch $B$ of $m$
# examples, **between the layer and its activation**. The notes gave the formulas as images,
# which are lost from their text (only image captions are left where they stood); here they are:
#
# $$\mu_B = \frac{1}{m}\sum_{i=1}^{m} x_i, \qquad
# \sigma_B^2 = \frac{1}{m}\sum_{i=1}^{m} (x_i - \mu_B)^2,$$
#
# $$\hat x_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \varepsilon}}, \qquad
# y_i = \gamma\,\hat x_i + \beta .$$
#
# $\varepsilon$ (PyTorch: `eps = 1e-5`) keeps the division safe. $\gamma$ and $\beta$ are learned,
# one pair per unit: the notes' "反BN", a scale and a shift that let the network undo the
# normalisation wherever it does not help — with $\gamma = \sqrt{\sigma_B^2 + \varepsilon}$ and
# $\beta = \mu_B$ the layer gives back its input exactly.

# %% [markdown] slideshow={"slide_type": "fragment"}
# Ioffe and Szegedy, who introduced BN (*Batch Normalization: Accelerating Deep Network Training
# by Reducing Internal Covariate Shift*, ICML 2015), explained it by **internal covariate
# shift**: each layer's inputs keep changing as the layers before it learn. Why BN helps is still
# argued about; this chapter measures what it does. At test time there may be a single example,
# so there is no batch to average over: BN then uses **running statistics** (滑动平均), averages
# of $\mu_B$ and $\sigma_B^2$ kept during training. "Batch norm by hand" below checks it all.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Morvan's experiment: eight tanh layers and a bad start
#
# The settings, from his script: 2,000 training points with $x$ evenly spaced on $[-7, 10]$ and
# $y = x^2 - 5$ plus Gaussian noise of standard deviation 2; 200 test points drawn the same way.
# The net has 8 hidden layers of 10 tanh units and one linear output. Every weight starts
# from $N(0, 0.1)$ and every bias at $-0.2$ — "a bad bias constant initializer", on purpose. The
# BN version has a `BatchNorm1d(momentum=0.5)` on the input $x$ itself and before every tanh.
# Both train side by side on the same batches: Adam, learning rate 0.03, batches of 64, 12
# epochs, with the test loss (MSE) measured before training and after each epoch.

# %% slideshow={"slide_type": "-"}
SAMPLES, TEST_SAMPLES, LAYERS, WIDTH = 2000, 200, 8, 10
LR, BATCH_SIZE, BN_MOMENTUM = 0.03, 64, 0.5
EPOCHS = cfg.epochs  # Morvan's 12, in both profiles


def parabola(points):
    """x evenly spaced on [-7, 10], and y = x^2 - 5 + noise of standard deviation 2."""
    x = torch.linspace(-7, 10, points).unsqueeze(1)  # (points,) -> (points,1)
    return x, x**2 - 5 + 2 * torch.randn(x.shape)  # (points,1)


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The network, in `nn.ModuleList`s
#
# Morvan kept his layers in plain Python lists, `self.fcs = []`, and had to register each one
# by hand as well: `setattr(self, 'fc%i' % i, fc)`, commented "IMPORTANT set layer to the
# Module". An `nn.ModuleList` is a list that registers what it holds, so the layers below need
# no `setattr`. `trace` returns what Morvan's `forward` returned for his histograms: each layer's
# **pre-activation** (the input, then every `Linear`'s output, before any BN) and **activation**
# (the input after its BN, then every tanh's output).


# %% slideshow={"slide_type": "subslide"}
class TanhNet(nn.Module):
    def __init__(self, batch_norm=False):
        super().__init__()
        self.batch_norm = batch_norm
        self.fcs = nn.ModuleList(
            nn.Linear(1 if i == 0 else WIDTH, WIDTH) for i in range(LAYERS)
        )  # (N,1) -> (N,10), then (N,10) -> (N,10) seven times
        self.predict = nn.Linear(WIDTH, 1)  # (N,10) -> (N,1)
        for layer in (*self.fcs, self.predict):  # Morvan's bad start
            nn.init.normal_(layer.weight, mean=0.0, std=0.1)
            nn.init.constant_(layer.bias, -0.2)
        if batch_norm:
            self.bn_input = nn.BatchNorm1d(1, momentum=BN_MOMENTUM)  # (N,1) -> (N,1)
            self.bns = nn.ModuleList(
                nn.BatchNorm1d(WIDTH, momentum=BN_MOMENTUM) for _ in range(LAYERS)
            )  # (N,10) -> (N,10), one per layer

    def trace(self, x):
        pre_activations = [x]
        x = self.bn_input(x) if self.batch_norm else x
        activations = [x]
        for i, fc in enumerate(self.fcs):
            x = fc(x)
            pre_activations.append(x)
            x = torch.tanh(self.bns[i](x) if self.batch_norm else x)
            activations.append(x)
        return self.predict(x), pre_activations, activations

    def forward(self, x):
        return self.trace(x)[0]


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What a plain list hides
#
# `nn.Module` finds its layers by looking at its attributes: a `Linear` stored directly is
# registered, one inside a plain list is not. So `parameters()` skips it, the optimizer gets
# nothing to train, `state_dict()` saves nothing and `.to(...)` never moves it. Three versions of
# the same two-layer net:

# %% slideshow={"slide_type": "-"}
class InPlainList(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(1, 10), nn.Linear(10, 1)]  # invisible to nn.Module


class WithSetattr(InPlainList):  # Morvan's repair: register each layer a second time
    def __init__(self):
        super().__init__()
        for i, layer in enumerate(self.layers):
            setattr(self, f"fc{i}", layer)


class InModuleList(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(1, 10), nn.Linear(10, 1)])


# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
torch.manual_seed(0)
for kind in (InPlainList, WithSetattr, InModuleList):
    net = kind().to(torch.float64)
    count = sum(p.numel() for p in net.parameters())
    dtype = net.layers[0].weight.dtype
    print(f"{kind.__name__:<12}: {count:2d} parameters, state_dict keys "
          f"{list(net.state_dict())}, after .to(float64): {dtype}")
try:
    torch.optim.Adam(InPlainList().parameters(), lr=LR)
except ValueError as err:
    print("Adam(InPlainList().parameters()) ->", type(err).__name__, err)

# %% [markdown] slideshow={"slide_type": "fragment"}
# The plain list has 0 parameters, an empty `state_dict`, and `.to(float64)` left its weights in
# float32; `Adam` refuses the empty list outright. Morvan's `setattr` works, since
# `nn.Module.__setattr__` registers the layer, but every layer then lives in two places under
# two names. `nn.ModuleList` (and `nn.ModuleDict`, `nn.Sequential`) is the modern form.

# %% [markdown] slideshow={"slide_type": "notes"}
# One more change from Morvan's script: he fed the data through a `DataLoader` with
# `num_workers=2`. On Windows, worker processes start by re-importing the script, which
# crashed scripts that did not guard their top level; his issue #30 reports it (raised on his
# `305_batch_train.py`, which uses the same loader), and he answered by putting the training
# under `if __name__ == "__main__":`, as 504 has it. Here the 2,000 points sit in memory and
# `TensorBatches` slices shuffled batches from them: there is nothing for workers to do.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The data and the two nets, from seed 0
#
# All the random draws happen in one cell, in a fixed order — the training data, the test data,
# the plain net, the BN net — and the batches are shuffled by the generator that
# `seed_everything` returns. The book's copy of this experiment (below) draws in the same order,
# so the two must agree exactly.

# %% slideshow={"slide_type": "-"}
from course_utils.fastpath import TensorBatches

generator = seed_everything(0)
x, y = parabola(SAMPLES)  # (2000,1), (2000,1)
test_x, test_y = parabola(TEST_SAMPLES)  # (200,1), (200,1)
nets = {"plain": TanhNet(batch_norm=False), "BN": TanhNet(batch_norm=True)}
optimizers = [torch.optim.Adam(net.parameters(), lr=LR) for net in nets.values()]
batches = TensorBatches(x, y, BATCH_SIZE, shuffle=True, generator=generator)
print(f"{len(batches)} batches of up to {BATCH_SIZE} per epoch; parameters:",
      {name: sum(p.numel() for p in net.parameters()) for name, net in nets.items()})
print(f"test y: mean {test_y.mean():.1f}, variance {test_y.var(unbiased=False):.1f}")

# %% slideshow={"slide_type": "subslide"}
COLOURS = {"plain": "#FF9359", "BN": "#74BCFF"}  # Morvan's colours
plt.figure(figsize=(6, 3.5))
plt.scatter(x, y, c=COLOURS["plain"], s=20, alpha=0.2, label="train")
plt.scatter(test_x, test_y, c="k", s=8, label="test")
plt.xlabel("x")
plt.ylabel("y")
plt.legend(loc="upper left")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Before training: what each layer sees
#
# Morvan's figure: for each net, a histogram of every layer's pre-activations and activations,
# pooled over the 10 units and the 200 test points. Column 0 is the input. Rows: the plain net's
# pre-activations (PreAct), the BN net's (BN PreAct), then their activations (Act, BN Act).
# Values beyond the axis range are piled into its end bins.
#
# One catch: Morvan drew this in evaluation mode, where an untrained BN layer uses its initial
# running statistics (mean 0, variance 1) and so changes nothing. To see what BN does in the
# first training step, the "before" picture runs **copies** of the nets in training mode, on the
# test points as one batch (a copy, because a training-mode pass updates the running
# statistics).


# %% slideshow={"slide_type": "-"}
@torch.no_grad()
def traces_of(nets, x, train_mode):
    """{name: (pre-activations, activations)}, each a list of 9 tensors (N,1) or (N,10)."""
    traces = {}
    for name, net in nets.items():
        _, pre, act = copy.deepcopy(net).train(train_mode).trace(x)
        traces[name] = (pre, act)
    return traces


def spread(traces):
    """How much each layer's activations vary with x: sd over the points, mean over units."""
    for name, (_, act) in traces.items():
        print(f"{name:>5}: " + " ".join(f"{a.std(0).mean():6.3f}" for a in act))


# %% slideshow={"slide_type": "subslide"}
ROWS = [("plain", 0, "PreAct"), ("BN", 0, "BN PreAct"), ("plain", 1, "Act"), ("BN", 1, "BN Act")]


def layer_histograms(traces, title):
    fig, axs = plt.subplots(4, LAYERS + 1, figsize=(14, 5.5))
    for row, (name, kind, label) in enumerate(ROWS):
        for i, ax in enumerate(axs[row]):
            low, high = (-7, 10) if i == 0 else ((-4, 4) if kind == 0 else (-1, 1))
            values = traces[name][kind][i].flatten().clamp(low, high)
            ax.hist(values.numpy(), bins=20, range=(low, high), color=COLOURS[name])
            ax.set(yticks=[], xticks=[low, high] if row in (1, 3) else [])
        axs[row, 0].set_ylabel(label)
    for i, ax in enumerate(axs[0]):
        ax.set_title("input" if i == 0 else f"layer {i}")
    fig.suptitle(title)
    fig.subplots_adjust(hspace=0.4)
    plt.show()


# %% slideshow={"slide_type": "subslide"} tags=["slides-output-subslide"]
with torch.no_grad():  # evaluation mode, untrained: running mean 0, running variance 1
    unchanged = (nets["BN"].eval().bn_input(test_x) - test_x).abs().max()
print(f"untrained BN net, evaluation mode: its input BN changes x by at most {unchanged:.0e}")
start_traces = traces_of(nets, test_x, train_mode=True)
layer_histograms(start_traces, "untrained, training mode (BN with the batch's statistics)")
print("sd of the activations over the 200 test points, input then layers 1-8:")
spread(start_traces)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Untrained, the plain net's activations shrink layer by layer into a narrow spike around
# $\tanh(-0.2) \approx -0.2$: weights of size 0.1 over 10 inputs add only a little to the bias of
# $-0.2$, so each layer mostly passes its bias on. How much a layer's output still depends on $x$
# (the numbers printed) falls from 0.333 after layer 1 to 0.034 after layer 3 and 0.000 (to three
# decimals) from layer 7 on: by the last layer every $x$ looks alike. In the BN net each layer's
# inputs are spread out again before the tanh; its activations fill $[-1, 1]$ down to layer 8,
# with a spread between 0.644 and 0.743 in every layer.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Training both, side by side
#
# Each batch trains the plain net, then the BN net, with the same 64 points. The test loss is
# measured in evaluation mode, so that the BN net normalises with its running statistics, not
# with the 200 test points' own.


# %% slideshow={"slide_type": "-"}
def train_epoch(nets, optimizers, batches):
    """One epoch: every batch trains each net in turn."""
    for net in nets:
        net.train()
    for x_batch, y_batch in batches:
        for net, optimizer in zip(nets, optimizers, strict=True):
            loss = F.mse_loss(net(x_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


@torch.no_grad()
def test_loss(net, x, y):
    net.eval()  # BN uses its running statistics
    return F.mse_loss(net(x), y).item()


# %% slideshow={"slide_type": "subslide"}
losses = {name: [test_loss(net, test_x, test_y)] for name, net in nets.items()}
print(f"untrained: plain {losses['plain'][0]:7.1f}   BN {losses['BN'][0]:7.1f}")
for epoch in range(EPOCHS):
    train_epoch(list(nets.values()), optimizers, batches)
    for name, net in nets.items():
        losses[name].append(test_loss(net, test_x, test_y))
    print(f"epoch {epoch:2d}:  plain {losses['plain'][-1]:7.1f}   BN {losses['BN'][-1]:7.1f}")
assert losses["BN"][-1] < losses["plain"][-1] / 2

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same experiment in `course_utils.batchnorm`
#
# `make reproduce` runs this experiment for several seeds with the book's copy of the code:
# `DeepTanhNet`, `train_epoch`, `test_loss` and `bn_experiment`. From seed 0 it must give exactly
# the losses above, and its net must compute exactly what ours computes from the same weights.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
from course_utils import batchnorm

library_plain, library_bn = batchnorm.bn_experiment(0, EPOCHS)
print("identical test losses, plain net:", library_plain == losses["plain"])
print("identical test losses, BN net:   ", library_bn == losses["BN"])
library_net = batchnorm.DeepTanhNet(batch_norm=True)
print(library_net.load_state_dict(nets["BN"].state_dict()))  # same names and shapes
with torch.no_grad():
    print("same predictions:", torch.equal(library_net.eval()(test_x), nets["BN"](test_x)))
print("same settings:", (batchnorm.LEARNING_RATE, batchnorm.BATCH_SIZE, batchnorm.BN_MOMENTUM)
      == (LR, BATCH_SIZE, BN_MOMENTUM))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The test loss, epoch by epoch
#
# Morvan's second figure, with his axis limits (0 to 2,000).

# %% slideshow={"slide_type": "-"}
plt.figure(figsize=(6, 3.5))
for name, history in losses.items():
    plt.plot(history, c=COLOURS[name], lw=3, label="Batch Normalization" if name == "BN" else name)
plt.axhline(test_y.var(unbiased=False), c="grey", ls="--", label="variance of test y")
plt.xlabel("epochs trained")
plt.ylabel("test loss (MSE)")
plt.ylim(0, 2000)
plt.legend(loc="best")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# From epoch 3 on the plain net's test loss stays at 697.7 to 697.8, on the dashed line of the
# test $y$'s variance (697.7): the loss of a net that answers the same number, about the mean of
# $y$, for every $x$. The next cell checks that this is what it does. The BN net's loss keeps
# falling, to 95.0 after 12 epochs, though not smoothly (128.9 after epoch 7, then 193.6 after
# epoch 8).

# %% slideshow={"slide_type": "-"}
with torch.no_grad():
    guesses = {name: net.eval()(test_x) for name, net in nets.items()}  # (200,1) each
for name, guess in guesses.items():
    print(f"{name:>5}: predictions from {guess.min():7.2f} to {guess.max():7.2f}, "
          f"mean {guess.mean():6.2f}")
print(f"training y: mean {y.mean():.2f};  test y from {test_y.min():.1f} to {test_y.max():.1f}")
mean_loss = F.mse_loss(y.mean().expand_as(test_y), test_y).item()
print(f"test loss of always answering the training mean: {mean_loss:.1f}")
assert guesses["plain"].max() - guesses["plain"].min() < 1  # one answer for every x

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### After training: what each layer sees
#
# The same figure after 12 epochs, now in evaluation mode, as the predictions are made.

# %% slideshow={"slide_type": "-"} tags=["slides-output-subslide"]
end_traces = traces_of(nets, test_x, train_mode=False)
layer_histograms(end_traces, f"after {EPOCHS} epochs, evaluation mode")
print("sd of the activations over the 200 test points, input then layers 1-8:")
spread(end_traces)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The plain net answers 21.21 for every test point, next to the training mean 21.39, and its test
# loss is the same 697.8 as that of always answering the training mean. Training moved it from
# one dead end to another. Its first layers learned a little (spread 0.387 and 0.264), but from
# layer 4 on the pre-activations pile up beyond $\pm 4$ and the tanh outputs sit at $-1$ or $+1$;
# from layer 5 on they no longer vary with $x$ at all (spread 0.001, then 0.000). That is the
# saturation of the notes' example, and a saturated unit passes back a gradient of almost 0, so
# gradient descent has almost nothing to pull it back with. In the BN net every layer still
# varies with $x$ (spread 0.235 to 0.358), many values near $\pm 1$ but never all of them.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The fitted curves
#
# Morvan's last figure: both nets' predictions on the test points.

# %% slideshow={"slide_type": "-"} tags=["slides-output-subslide"]
plt.figure(figsize=(6, 3.5))
plt.scatter(test_x, test_y, c="r", s=20, alpha=0.3, label="test points")
for name, guess in guesses.items():
    label = "Batch Normalization" if name == "BN" else name
    plt.plot(test_x, guess, c=COLOURS[name], lw=4, label=label)
plt.xlabel("x")
plt.ylabel("y")
plt.legend(loc="best")
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# The plain net draws a flat line. The BN net follows the parabola but flattens at the right
# end, at 62.09 (its largest prediction, printed above), where the test $y$ climbs to 94.1: in 12
# epochs it has not yet learned the top of the range.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Over several seeds
#
# One seed is one draw of data, weights and batches. `bn_experiment` repeats the whole
# experiment from `cfg.seeds` seeds (seed 0 is the run above).

# %% slideshow={"slide_type": "-"}
finals = {"plain": [], "BN": []}
for seed in range(cfg.seeds):
    plain_history, bn_history = batchnorm.bn_experiment(seed, EPOCHS)
    finals["plain"].append(plain_history[-1])
    finals["BN"].append(bn_history[-1])
    print(f"seed {seed}: test loss after {EPOCHS} epochs: plain {plain_history[-1]:6.1f}, "
          f"BN {bn_history[-1]:6.1f}")
for name, values in finals.items():
    values = torch.tensor(values)
    print(f"{name:>5}: {values.mean():6.1f} ± {values.std():5.1f} (mean ± sd over {cfg.seeds})")
assert all(b < p for b, p in zip(finals["BN"], finals["plain"], strict=True)), "BN on every seed"

# %% [markdown] slideshow={"slide_type": "fragment"}
# Over the five seeds of the full run the plain net ends between 686.3 and 703.7 (694.6 ± 7.2):
# on every seed it learns the mean and nothing else. The BN net ends lower on every seed, at
# 112.9 ± 27.7, but how low still varies (94.3 to 159.9): its test loss jumps from epoch to
# epoch, and where the 12th epoch happens to land decides the number.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Batch norm by hand, checked against `nn.BatchNorm1d`
#
# In training mode, `BatchNorm1d(C)` takes a batch `(N, C)` and normalises each of the `C`
# columns with its own mean and variance over the `N` rows — the **biased** variance, dividing
# by $N$ (`unbiased=False`), as in the formula — then applies `weight` ($\gamma$) and `bias`
# ($\beta$). They start at 1 and 0; we set other values, so that the check means something.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
x_toy = 3 * torch.randn(16, 4) + 5  # (N,C) = (16,4): far from mean 0, sd 1
bn = nn.BatchNorm1d(4)
with torch.no_grad():
    bn.weight.copy_(torch.tensor([0.5, 1.0, 2.0, -1.0]))  # gamma
    bn.bias.copy_(torch.tensor([0.0, 1.0, -1.0, 3.0]))  # beta
mean, var = x_toy.mean(0), x_toy.var(0, unbiased=False)  # (4,), (4,): over the batch
by_hand = bn.weight * (x_toy - mean) / torch.sqrt(var + bn.eps) + bn.bias
print(f"eps = {bn.eps}, momentum = {bn.momentum}")
print("training mode, by hand == BatchNorm1d:", torch.allclose(by_hand, bn(x_toy), atol=1e-6))
unbiased = bn.weight * (x_toy - mean) / torch.sqrt(x_toy.var(0) + bn.eps) + bn.bias
print(f"with the unbiased variance instead: off by up to {(unbiased - bn(x_toy)).abs().max():.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The running statistics
#
# Each training-mode call also updates `running_mean` and `running_var`, starting from 0 and 1.
# The update uses the batch's mean and its **unbiased** variance (dividing by $N - 1$), although
# the normalisation used the biased one:
#
# $$\text{running} \leftarrow (1 - \text{momentum})\cdot\text{running} + \text{momentum}\cdot
# \text{batch statistic}.$$
#
# The layer above has been called twice (the two `bn(x_toy)` in the cell), so a fresh one is
# used here, called once.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
bn = nn.BatchNorm1d(4)  # running_mean 0, running_var 1, momentum 0.1
bn(x_toy)
m = bn.momentum
print("running_mean == 0.9*0 + 0.1*mean:         ",
      torch.allclose(bn.running_mean, (1 - m) * 0 + m * mean))
print("running_var  == 0.9*1 + 0.1*unbiased var:  ",
      torch.allclose(bn.running_var, (1 - m) * 1 + m * x_toy.var(0, unbiased=True)))
print("running_var  == 0.9*1 + 0.1*biased var:    ",
      torch.allclose(bn.running_var, (1 - m) * 1 + m * var))
print("batches seen:", bn.num_batches_tracked.item())

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `momentum` weights the new value
#
# Step by step, for one unit, over batches whose mean is about 5: PyTorch's `momentum=0.1` means
# that each new batch mean gets weight 0.1 and the old running value 0.9. That is the opposite of
# the usual wording of an exponential average, where "momentum" is the weight of the **old**
# value: Keras's `BatchNormalization(momentum=0.99)` computes
# `moving_mean * momentum + mean(batch) * (1 - momentum)` (its documentation), which is PyTorch's
# `momentum=0.01`. Morvan's 0.5 weights old and new equally.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(1)
bn = nn.BatchNorm1d(1)  # momentum 0.1
running = 0.0
for step in range(4):
    batch = 5 + torch.randn(32, 1)  # (32,1), mean about 5
    bn(batch)
    new = batch.mean().item()
    print(f"step {step}: 0.9 * {running:.4f} + 0.1 * {new:.4f} = {0.9 * running + 0.1 * new:.4f}"
          f"   running_mean {bn.running_mean.item():.4f}")
    running = 0.9 * running + 0.1 * new

# %% [markdown] slideshow={"slide_type": "subslide"}
# After four batches the running mean is still far below 5: it starts at 0 and closes only a
# tenth of the remaining gap per batch (Exercise 3 works out how fast). `momentum=None` replaces
# the exponential average by the plain **cumulative** average of all batches seen so far, the
# same weight for each:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(1)
bn = nn.BatchNorm1d(1, momentum=None)
batch_means = []
for _ in range(4):
    batch = 5 + torch.randn(32, 1)
    bn(batch)
    batch_means.append(batch.mean())
print(f"running_mean {bn.running_mean.item():.4f}, mean of the 4 batch means "
      f"{torch.stack(batch_means).mean():.4f}, batches tracked {bn.num_batches_tracked.item()}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Evaluation mode
#
# After `bn.eval()` the layer no longer looks at the batch: every example is normalised with the
# running statistics, so its output does not depend on what else is in the batch, and nothing is
# updated any more.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
bn = nn.BatchNorm1d(4)
with torch.no_grad():
    bn.weight.copy_(torch.tensor([0.5, 1.0, 2.0, -1.0]))
    bn.bias.copy_(torch.tensor([0.0, 1.0, -1.0, 3.0]))
bn(x_toy)  # one training step: the running statistics move
bn.eval()
frozen = bn.running_mean.clone()
by_hand = bn.weight * (x_toy - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) + bn.bias
print("evaluation mode, by hand == BatchNorm1d:", torch.allclose(by_hand, bn(x_toy), atol=1e-6))
print("first row alone gives the same:", torch.allclose(bn(x_toy[:1]), bn(x_toy)[:1]))
print("running statistics unchanged:", torch.equal(frozen, bn.running_mean))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A batch of one
#
# In training mode a batch of one example has nothing to average over: its variance is 0 and the
# output would be $\beta$ whatever the input. `BatchNorm1d` refuses it; in evaluation mode it
# works. `BatchNorm2d` averages over the pixels too, so a single image still gives it $H \cdot W$
# values per channel.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
bn = nn.BatchNorm1d(4)
try:
    bn(x_toy[:1])  # (1,4), training mode
except ValueError as err:
    print("training mode:", type(err).__name__, "-", err)
print("evaluation mode:", tuple(bn.eval()(x_toy[:1]).shape))
one_image = torch.randn(1, 3, 4, 4)  # (1,C,H,W): 16 values per channel
print("BatchNorm2d, one image, training mode:", tuple(nn.BatchNorm2d(3)(one_image).shape))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Batch norm in a deep CNN on MNIST
#
# In a CNN each **channel** is one unit: `BatchNorm2d(C)` normalises each channel over the batch
# *and* over all pixel positions, the $N \cdot H \cdot W$ values of a `(N, C, H, W)` batch, with
# one $\gamma$ and one $\beta$ per channel. A check by hand:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
images_toy = 2 * torch.randn(8, 3, 5, 5) + 1  # (N,C,H,W)
bn2d = nn.BatchNorm2d(3)
mean = images_toy.mean(dim=(0, 2, 3), keepdim=True)  # (1,3,1,1): one mean per channel
var = images_toy.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
by_hand = (images_toy - mean) / torch.sqrt(var + bn2d.eps)  # gamma 1, beta 0 at the start
print("by hand == BatchNorm2d:", torch.allclose(by_hand, bn2d(images_toy), atol=1e-5))
print("parameters per channel:", bn2d.weight.shape, bn2d.bias.shape)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The data
#
# The real MNIST, normalised as in Chapter 8, in memory. Each run trains on the first
# `cfg.cnn_images` training digits. The accuracy is measured on the first `cfg.cnn_test_images`
# test digits after each epoch, and for the curves on the first 2,000 every `cfg.eval_every`
# steps. The images are stored `channels_last`, the memory layout Chapter 7 found faster for
# convolutions on a CPU (the same numbers, another order in memory).

# %% slideshow={"slide_type": "-"}
from course_utils.data import mnist, standin_notice
from course_utils.fastpath import as_tensors

torch.set_num_threads(CNN_THREADS)  # real work per step now
train_set, test_set = mnist(train=True), mnist(train=False)
ON_STANDIN = standin_notice(train_set)  # prints a NOTICE on the offline stand-in
REAL_FULL_RUN = not ON_STANDIN and cfg.profile == "full"
x_train, y_train = as_tensors(train_set, (0.1307,), (0.3081,), device)  # (N,1,28,28)
x_test, y_test = as_tensors(test_set, (0.1307,), (0.3081,), device)
x_cnn = x_train[: cfg.cnn_images].contiguous(memory_format=torch.channels_last)
y_cnn = y_train[: cfg.cnn_images]
x_eval = x_test[: cfg.cnn_test_images].contiguous(memory_format=torch.channels_last)
y_eval = y_test[: cfg.cnn_test_images]
CURVE = min(2000, len(x_eval))  # the test digits of the curves
print(f"train on {len(x_cnn):,} digits, {-(-len(x_cnn) // 64)} batches of 64 per epoch; "
      f"test on {len(x_eval):,} (curves: the first {CURVE:,})")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A deep plain CNN, with BN or without
#
# Five 3×3 convolutions with padding 1 (16, 16 | pool | 32, 32 | pool | 32 channels), each
# followed by ReLU; then the mean of each channel over the image (`AdaptiveAvgPool2d(1)`) and
# one linear layer to 10 scores. PyTorch's default initialisation, no tricks. With BN, each
# convolution is followed by `BatchNorm2d` — before the ReLU (`conv-BN-ReLU`, the usual order)
# or after it (`conv-ReLU-BN`). A convolution followed directly by BN has no bias: BN subtracts
# the mean right away, which would cancel it, and adds its own $\beta$.


# %% slideshow={"slide_type": "-"}
def conv_block(c_in, c_out, order):
    """3x3 convolution (padding 1 keeps H, W) and ReLU, with BN before or after the ReLU."""
    conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=order != "conv-BN-ReLU")
    if order == "conv-BN-ReLU":
        return [conv, nn.BatchNorm2d(c_out), nn.ReLU()]
    if order == "conv-ReLU-BN":
        return [conv, nn.ReLU(), nn.BatchNorm2d(c_out)]
    return [conv, nn.ReLU()]  # "no BN"


def make_cnn(order="no BN"):
    return nn.Sequential(
        *conv_block(1, 16, order),  # (N,1,28,28) -> (N,16,28,28)
        *conv_block(16, 16, order),  # (N,16,28,28) -> (N,16,28,28)
        nn.MaxPool2d(2),  # (N,16,28,28) -> (N,16,14,14)
        *conv_block(16, 32, order),  # (N,16,14,14) -> (N,32,14,14)
        *conv_block(32, 32, order),  # (N,32,14,14) -> (N,32,14,14)
        nn.MaxPool2d(2),  # (N,32,14,14) -> (N,32,7,7)
        *conv_block(32, 32, order),  # (N,32,7,7) -> (N,32,7,7)
        nn.AdaptiveAvgPool2d(1),  # (N,32,7,7) -> (N,32,1,1): each channel's mean
        nn.Flatten(),  # (N,32,1,1) -> (N,32)
        nn.Linear(32, 10),  # (N,32) -> (N,10)
    )


# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output", "slides-output-subslide"]
torch.manual_seed(0)
print(make_cnn("conv-BN-ReLU"))
for order in ("no BN", "conv-BN-ReLU", "conv-ReLU-BN"):
    model = make_cnn(order)
    print(f"{order:<13}: {sum(p.numel() for p in model.parameters()):,} parameters, output",
          tuple(model(torch.zeros(2, 1, 28, 28)).shape))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Training, and the accuracy as it goes
#
# SGD with momentum 0.9, batches of 64, cross-entropy. `accuracy` measures in evaluation mode
# and `train_cnn` switches back to training mode after each measurement.


# %% slideshow={"slide_type": "-"}
@torch.no_grad()
def accuracy(model, images, labels):
    model.eval()
    correct = sum((model(images[i : i + 1000]).argmax(dim=1) == labels[i : i + 1000]).sum().item()
                  for i in range(0, len(images), 1000))
    return correct / len(images)


def train_cnn(model, lr, batches):
    """SGD for cfg.cnn_epochs epochs: (steps, curve accuracies), accuracy after each epoch."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    steps, curve, per_epoch = [0], [accuracy(model, x_eval[:CURVE], y_eval[:CURVE])], []
    for _ in range(cfg.cnn_epochs):
        model.train()
        for images, labels in batches:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            steps.append(steps[-1] + 1)
            if steps[-1] % cfg.eval_every == 0:
                curve.append(accuracy(model, x_eval[:CURVE], y_eval[:CURVE]))
                model.train()
        per_epoch.append(accuracy(model, x_eval, y_eval))
    return (steps[:: cfg.eval_every], curve), per_epoch


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Three learning rates, with and without BN
#
# A "normal" rate, 0.01, a high one, 0.1, and a very high one, 0.5; every run starts from seed 0
# and sees the same batches.

# %% slideshow={"slide_type": "-"}
runs, models = {}, {}
start = time.perf_counter()
for order in ("no BN", "conv-BN-ReLU"):
    for lr in (0.01, 0.1, 0.5):
        generator = seed_everything(0)
        model = make_cnn(order).to(device, memory_format=torch.channels_last)
        batches = TensorBatches(x_cnn, y_cnn, 64, shuffle=True, generator=generator)
        run_start = time.perf_counter()
        runs[order, lr] = train_cnn(model, lr, batches)
        models[order, lr] = model
        per_epoch = ", ".join(f"{a:.1%}" for a in runs[order, lr][1])
        print(f"{order:<13} lr {lr:<4}: test accuracy per epoch {per_epoch}  "
              f"[{time.perf_counter() - run_start:.0f} s]")
print(f"six runs: {time.perf_counter() - start:.0f} s")

# %% slideshow={"slide_type": "subslide"} tags=["slides-output-subslide"]
fig, axs = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
for ax, lr in zip(axs, (0.01, 0.1, 0.5), strict=True):
    for order, colour in (("no BN", COLOURS["plain"]), ("conv-BN-ReLU", COLOURS["BN"])):
        ax.plot(*runs[order, lr][0], c=colour, lw=2, label=order)
    ax.axhline(0.1, c="grey", ls=":", lw=1)  # chance: one digit in ten
    ax.set(title=f"lr {lr}", xlabel="training steps (batches of 64)")
axs[0].set(ylabel=f"accuracy on {CURVE:,} test digits", ylim=(0, 1))
axs[0].legend(loc="upper left")
plt.show()

# %% slideshow={"slide_type": "subslide"}
def first_step(curve, level):
    """The first step at which the curve reached `level`, or None."""
    return next((step for step, a in zip(*curve, strict=True) if a >= level), None)


final = {key: per_epoch[-1] for key, (_, per_epoch) in runs.items()}
mean_curve = {key: sum(curve) / len(curve) for key, ((_, curve), _) in runs.items()}
for key, (curve, _) in runs.items():
    print(f"{key[0]:<13} lr {key[1]:<4}: final {final[key]:6.1%}, mean over the curve "
          f"{mean_curve[key]:6.1%}; first at 50 % at step {first_step(curve, 0.5)}, "
          f"at 90 % at step {first_step(curve, 0.9)}")

# %% slideshow={"slide_type": "subslide"}
assert all(0 <= a <= 1 for a in final.values())
if not ON_STANDIN:  # the stand-in's few small digits train too little to compare
    high_bn, high_plain = ("conv-BN-ReLU", 0.1), ("no BN", 0.1)
    assert final[high_bn] > final[high_plain] + 0.1, "BN at the high rate, by a wide margin"
    assert final["conv-BN-ReLU", 0.5] > final["no BN", 0.5] + 0.1
    if REAL_FULL_RUN:
        assert mean_curve[high_bn] > mean_curve[high_plain] + 0.2

# %% [markdown] slideshow={"slide_type": "fragment"}
# What the full run measured, from one seed on 10,000 digits for 2 epochs (157 steps each):
#
# - **lr 0.01**: without BN the net hardly leaves chance (16.6 % after 2 epochs); with BN it
#   passes 50 % at step 100 and 90 % at step 250, and ends at 93.1 %.
# - **lr 0.1**: without BN it first reaches 50 % at step 200 and ends at 83.1 %; with BN it passes
#   50 % by step 50 and 90 % by step 175, and ends at 94.7 %, the best of these six runs.
# - **lr 0.5**: without BN it never learns (10.1 %); with BN it passes 50 % by step 75 and 90 % by
#   step 175, and ends at 94.2 %.
#
# (The curves are measured every 25 steps, so "at step 175" means at that measurement.) BN made
# this deep plain CNN train at every rate tried, fastest at the high rates, and at 0.5 it was the
# difference between learning and not learning at all. This is one seed and a short run: it
# shows that BN changes what is trainable, and how fast, not the final accuracy a longer run
# would reach.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Before or after the ReLU?
#
# The original paper puts BN before the activation, and so do most networks; putting it after is
# also common. The same run at the high rate, with BN moved behind each ReLU (the convolutions
# get their bias back, since BN no longer follows them directly):

# %% slideshow={"slide_type": "-"}
generator = seed_everything(0)
model = make_cnn("conv-ReLU-BN").to(device, memory_format=torch.channels_last)
batches = TensorBatches(x_cnn, y_cnn, 64, shuffle=True, generator=generator)
runs["conv-ReLU-BN", 0.1] = train_cnn(model, 0.1, batches)
for order in ("conv-BN-ReLU", "conv-ReLU-BN"):
    (_, curve), per_epoch = runs[order, 0.1]
    print(f"{order}: test accuracy per epoch {', '.join(f'{a:.1%}' for a in per_epoch)}, "
          f"mean over the curve {sum(curve) / len(curve):.1%}")
assert all(0 <= a <= 1 for a in runs["conv-ReLU-BN", 0.1][1])

# %% slideshow={"slide_type": "subslide"}
plt.figure(figsize=(6, 3.5))
for order, style in (("conv-BN-ReLU", "-"), ("conv-ReLU-BN", "--")):
    plt.plot(*runs[order, 0.1][0], c=COLOURS["BN"], ls=style, lw=2, label=order)
plt.plot(*runs["no BN", 0.1][0], c=COLOURS["plain"], lw=2, label="no BN")
plt.xlabel("training steps (batches of 64)")
plt.ylabel(f"accuracy on {CURVE:,} test digits")
plt.title("lr 0.1")
plt.ylim(0, 1)
plt.legend(loc="lower right")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# Both orders train well at lr 0.1. After the ReLU came out ahead on every number printed: 96.1 %
# against 91.5 % after the first epoch, 95.7 % against 94.7 % after the second, and 77.1 % against
# 71.7 % averaged over the curve. One seed of one short run cannot show that this holds in
# general; the usual order, BN before the activation, is what the paper proposed and what most
# networks use.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The classic bug: a BN network left in training mode
#
# Forget `model.eval()` and a BN network normalises every test batch with **that batch's own**
# statistics. On a big, mixed batch these are close to the running ones and little changes; on
# a small batch, or one that holds a single class, they are not. Take the BN network trained at
# lr 0.1 and give it 64 test images of the digit 7 only.

# %% slideshow={"slide_type": "-"}
model = models["conv-BN-ReLU", 0.1]
sevens = x_test[y_test == 7][:64].contiguous(memory_format=torch.channels_last)
saved = copy.deepcopy(model.state_dict())  # to undo what training mode will do
first_bn = model[1]  # the BatchNorm2d after the first convolution
with torch.no_grad():
    model.eval()
    eval_guess = model(sevens).argmax(dim=1)
    model.train()  # the bug
    train_guess = model(sevens).argmax(dim=1)
moved = (first_bn.running_mean - saved["1.running_mean"]).abs().max().item()
print(f"{len(sevens)} sevens: evaluation mode {(eval_guess == 7).float().mean():.1%} correct, "
      f"training mode {(train_guess == 7).float().mean():.1%}")
print("training mode called them:", torch.bincount(train_guess, minlength=10).tolist())
print(f"and the forward pass moved running_mean by up to {moved:.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# In evaluation mode 92.2 % of the sevens are recognised; in training mode only 9.4 %, and more
# of them are called 2 than anything else (28 of 64). Normalised with statistics of sevens only,
# what all sevens share is subtracted away, and the network sees what is left. A mixed batch of
# 64 test digits has statistics close to the running ones, and there training mode does no harm
# (here both modes scored 96.9 %): the bug hides until a batch is small or one-sided.

# %% slideshow={"slide_type": "-"}
mixed, mixed_labels = x_eval[:64], y_eval[:64]  # the first 64 test digits, all classes
with torch.no_grad():
    for mode in ("eval", "train"):
        getattr(model, mode)()
        hits = (model(mixed).argmax(dim=1) == mixed_labels).float().mean()
        print(f"64 mixed digits, {mode} mode: {hits:.1%} correct")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The fix
#
# Put back the saved state (a forward pass in training mode *changed* the model, even under
# `torch.no_grad()`), then call `model.eval()` before measuring — and `model.train()` before
# training again.

# %% slideshow={"slide_type": "-"}
model.load_state_dict(saved)
model.eval()
with torch.no_grad():
    fixed_guess = model(sevens).argmax(dim=1)
    one_by_one = torch.cat([model(seven[None]) for seven in sevens]).argmax(dim=1)  # (1,1,28,28)
print(f"restored, evaluation mode: {(fixed_guess == 7).float().mean():.1%} correct")
print("one image at a time gives the same answers:", torch.equal(one_by_one, fixed_guess))
print("running_mean back:", torch.equal(first_bn.running_mean, saved["1.running_mean"]))
assert torch.equal(fixed_guess, eval_guess) and moved > 0
if not ON_STANDIN:
    assert (train_guess == 7).float().mean() < (eval_guess == 7).float().mean()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Back to Chapter 7
#
# Chapter 7's "going further" builds blocks of convolution, max pooling, BN and ReLU, and says
# that BN, with larger batches, "lets us train with a learning rate 50 times the blitz's" (its
# `lr=0.05` with batches of 128, against the blitz's `lr=0.001` with batches of 4). Chapter 7 never
# trained that network without BN, so it did not measure the claim. This chapter measured BN's
# part of it, on another network and other data: in the deep CNN above, BN decided whether a high
# rate trains at all. At lr 0.5 the plain net stayed at chance (10.1 %) while the BN net reached
# 94.2 %; at 0.1 the BN net was past 90 % after its first epoch (91.5 %), and the plain net never
# reached 90 % (83.1 % after two).
# Chapter 7 also changed the batch size from 4 to 128, which by itself allows larger steps (a
# gradient averaged over more images is less noisy), so its factor of 50 is BN and batch size
# together, not BN alone.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - BN normalises each unit (each channel in a CNN) over the mini-batch, between the layer and its
#   activation: $\hat x = (x - \mu_B)/\sqrt{\sigma_B^2 + \varepsilon}$, then
#   $y = \gamma \hat x + \beta$ with a learned scale $\gamma$ and shift $\beta$ per unit.
# - Morvan's eight tanh layers with a bad start: without BN the activations shrink to a spike,
#   then saturate at $\pm 1$, and the net answers the mean of $y$ for every $x$ (test loss 697.8,
#   the same on every seed give or take); with BN it fits the parabola (95.0 on seed 0,
#   112.9 ± 27.7 over five seeds).
# - Keep layers in `nn.ModuleList`: a plain Python list hides them from `parameters()`,
#   `state_dict()` and `.to()` (Morvan needed `setattr` for each).
# - Training mode normalises with the batch's mean and biased variance, and updates
#   `running_mean` / `running_var` (with the unbiased variance) as
#   $(1 - \text{momentum}) \cdot \text{old} + \text{momentum} \cdot \text{new}$: PyTorch's
#   `momentum=0.1` is Keras's 0.99. Evaluation mode uses the running statistics; in training mode
#   `BatchNorm1d` refuses a batch of one.
# - On MNIST, a deep plain CNN reached 16.6 %, 83.1 % and 10.1 % at lr 0.01, 0.1 and 0.5 without BN
#   and 93.1 %, 94.7 % and 94.2 % with it; BN after the ReLU did slightly better than before it,
#   on one seed.
# - Call `model.eval()` before testing: left in training mode, the trained BN net recognised
#   9.4 % of 64 sevens instead of 92.2 %, and the test pass changed its running statistics.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Solutions are hidden below each exercise (click to expand in JupyterLab). Try first.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 1 — what BN learned.** Print the learned $\gamma$ (`weight`) and $\beta$ (`bias`) of
# every `BatchNorm1d` in Morvan's BN net trained above (`nets["BN"]`): per layer, their mean and
# their largest distance from the start values 1 and 0. Check that every layer's moved.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
bn_layers = {"input": nets["BN"].bn_input} | {
    f"layer {i + 1}": layer for i, layer in enumerate(nets["BN"].bns)
}
moved_from_start = []
for name, layer in bn_layers.items():
    gamma, beta = layer.weight.detach(), layer.bias.detach()
    moved_from_start.append(max((gamma - 1).abs().max(), beta.abs().max()).item())
    print(f"{name:>8}: gamma mean {gamma.mean():6.3f}, max |gamma-1| {(gamma - 1).abs().max():.3f};"
          f"  beta mean {beta.mean():6.3f}, max |beta| {beta.abs().max():.3f}")
assert all(distance > 0.01 for distance in moved_from_start)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 — a better start instead of BN.** Keep Morvan's plain net but replace his bad
# initialisation: Xavier (Glorot) weights, `nn.init.xavier_normal_`, with biases 0. Try the
# plain gain 1 and tanh's recommended gain, `nn.init.calculate_gain("tanh")` (5/3). Train each
# from seeds 0 to 4 with `batchnorm.train_epoch` and `batchnorm.test_loss`, Adam at lr 0.03,
# 12 epochs, and compare the median final test loss with Morvan's plain net trained above. (One
# seed is not enough: this training is chaotic, and from some seeds, or on another CPU whose
# rounding differs, even the good start stays stuck.)

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
import statistics


def xavier_run(gain, seed):
    """Morvan's plain net from `seed`, Xavier weights with `gain` and biases 0: the final test
    loss."""
    generator = seed_everything(seed)
    x_ex, y_ex = parabola(SAMPLES)  # the draws in the chapter's order
    test_x_ex, test_y_ex = parabola(TEST_SAMPLES)
    net = TanhNet(batch_norm=False)
    for layer in (*net.fcs, net.predict):
        nn.init.xavier_normal_(layer.weight, gain=gain)
        nn.init.zeros_(layer.bias)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    xy_batches = TensorBatches(x_ex, y_ex, BATCH_SIZE, shuffle=True, generator=generator)
    for _ in range(EPOCHS):
        batchnorm.train_epoch([net], [optimizer], xy_batches)
    return batchnorm.test_loss(net, test_x_ex, test_y_ex)


xavier = {}
for gain in (1.0, nn.init.calculate_gain("tanh")):
    xavier[gain] = [xavier_run(gain, seed) for seed in range(5)]
    print(f"Xavier, gain {gain:.3f}, biases 0, seeds 0-4:",
          ", ".join(f"{loss:.1f}" for loss in xavier[gain]),
          f"(median {statistics.median(xavier[gain]):.1f})")
print(f"Morvan's start, seed 0: {losses['plain'][-1]:.1f}")
assert statistics.median(xavier[nn.init.calculate_gain("tanh")]) < losses["plain"][-1] / 2

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 — how fast the running mean catches up.** A fresh `BatchNorm1d(1)` has running
# mean 0. Feed it $k$ batches whose true mean is 5. Show that after $k$ batches the running mean
# is $\sum_{i=1}^{k} m(1-m)^{k-i}\,\bar x_i$ ($\bar x_i$: batch $i$'s mean, $m$: the momentum),
# which is $5\,(1 - (1-m)^k)$ on average. For $m = 0.1$ and $m = 0.5$, measure the gap to 5 after
# 5 and 20 batches, compare it with $5(1-m)^k$, and find how many batches each needs to come
# within 1 % of 5.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
import math

torch.manual_seed(0)
stream = [5 + torch.randn(64, 1) for _ in range(20)]  # 20 batches (64,1), true mean 5
for m in (0.1, 0.5):
    bn = nn.BatchNorm1d(1, momentum=m)
    exact = 0.0
    for k, batch in enumerate(stream, start=1):
        bn(batch)
        exact = (1 - m) * exact + m * batch.mean().item()  # the recurrence = the weighted sum
        if k in (5, 20):
            print(f"m={m}: after {k:2d} batches: gap {5 - bn.running_mean.item():.4f}, "
                  f"5(1-m)^k = {5 * (1 - m) ** k:.4f}")
    assert math.isclose(bn.running_mean.item(), exact, rel_tol=1e-5)
    noise_sd = (1 / 8) * math.sqrt(m / (2 - m))  # batch means have sd 1/8; averaged
    assert abs(5 - bn.running_mean.item() - 5 * (1 - m) ** 20) < 3 * noise_sd
    print(f"m={m}: within 1 % of 5 after {math.ceil(math.log(0.01) / math.log(1 - m))} batches")
