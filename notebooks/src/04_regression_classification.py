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
# # Chapter 4 — Regression and classification
#
# The two basic jobs of a network: predict a **number** (regression) and predict a **class**
# (classification). Both are trained by the same loop — forward, loss, `backward()`, optimizer
# step — and differ only in the last layer and in the loss.
#
# In this chapter: the activation functions that make a network more than a straight line; a
# small net that learns a noisy parabola, watched as it learns; a two-class problem with
# cross-entropy, where we separate *logits* from *probabilities* and draw the decision boundary;
# the same network written as a class and as `nn.Sequential`; and the safe way to save and load a
# trained model.

# %% slideshow={"slide_type": "skip"}
import pickle
import re
import tempfile
from collections import OrderedDict
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.device import seed_everything
from course_utils.profile import settings
from course_utils.toydata import noisy_curve, two_clusters

cfg = settings("04")
seed_everything(0)
print(
    f"profile: {cfg.profile} (regression_steps={cfg.regression_steps}, "
    f"classification_steps={cfg.classification_steps})"
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Activation functions: why a network needs a bend
#
# A `nn.Linear` layer computes $xW^\top + b$. Stack two of them and you get
# $(xW_1^\top + b_1)W_2^\top + b_2 = x(W_2W_1)^\top + (W_2 b_1 + b_2)$: again one linear layer.
# However many you stack, a chain of linear layers can only draw a straight line (a plane, a
# hyperplane). Let's check that with a 1 → 10 → 1 stack, folding it into a single weight and bias.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(0)
first, second = nn.Linear(1, 10), nn.Linear(10, 1)
x = torch.linspace(-1, 1, 5).unsqueeze(1)  # (5, 1): 5 samples, 1 feature each
stacked = second(first(x))  # (5, 1) -> (5, 10) -> (5, 1)
with torch.no_grad():
    w = second.weight @ first.weight  # (1, 10) @ (10, 1) -> (1, 1)
    b = second.weight @ first.bias + second.bias  # (1,)
print(f"the two layers fold into one: weight {w.item():.4f}, bias {b.item():.4f}")
print("same outputs:", torch.allclose(stacked, x @ w.T + b))

# %% [markdown] slideshow={"slide_type": "subslide"}
# A nonlinear **activation function** between the layers breaks this collapse. It is applied
# elementwise, and the common ones are:
#
# | name | formula | in PyTorch |
# |---|---|---|
# | ReLU | $\max(0, x)$ | `torch.relu`, `nn.ReLU()` |
# | sigmoid | $1 / (1 + e^{-x})$, squashes into $(0, 1)$ | `torch.sigmoid`, `nn.Sigmoid()` |
# | tanh | $(e^x - e^{-x}) / (e^x + e^{-x})$, squashes into $(-1, 1)$ | `torch.tanh`, `nn.Tanh()` |
# | softplus | $\log(1 + e^x)$, a smooth ReLU | `F.softplus`, `nn.Softplus()` |
# | LeakyReLU | $x$ if $x > 0$, else $a x$ (default $a = 0.01$) | `F.leaky_relu`, `nn.LeakyReLU()` |
# | GELU | $x\,\Phi(x)$, $\Phi$ the normal CDF | `F.gelu`, `nn.GELU()` |
#
# Each exists as a function (`F.relu`) and as a module (`nn.ReLU()`) that computes the same thing.
# ReLU is the default choice in this book; GELU is the one inside most transformers. The study
# notes compute softplus but comment it out of their plot; here it gets its panel.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The notes wrap `x` in a `Variable` and call `.data.numpy()` on every result before plotting.
# Both are left-overs from PyTorch 0.3: a tensor *is* what `Variable` used to be, and a tensor
# that does not require grad converts with plain `.numpy()` (one that does needs
# `.detach().numpy()`). Their comment "shape=(100, 1)" is wrong too: `torch.linspace(-5, 5, 200)`
# has shape `(200,)`.

# %% slideshow={"slide_type": "fragment"} tags=["slides-output-subslide"]
x = torch.linspace(-5, 5, 200)  # (200,)
activations = {
    "ReLU": torch.relu(x),
    "sigmoid": torch.sigmoid(x),
    "tanh": torch.tanh(x),
    "softplus": F.softplus(x),
    "LeakyReLU (a = 0.1)": F.leaky_relu(x, negative_slope=0.1),  # a = 0.1 to make it visible
    "GELU": F.gelu(x),
}
fig, axes = plt.subplots(2, 3, figsize=(11, 6), sharex=True)
for ax, (name, y_act) in zip(axes.flat, activations.items(), strict=True):
    if name != "ReLU":  # ReLU in grey behind the others, for comparison
        ax.plot(x.numpy(), activations["ReLU"].numpy(), color="0.8", lw=3, label="ReLU")
    ax.plot(x.numpy(), y_act.numpy(), color="C3", label=name)
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set(title=name, ylim=(-1.5, 5))
    ax.legend(loc="upper left", fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Slopes: where the gradient goes to sleep
#
# Training moves weights along gradients, and every gradient that passes through an activation
# is multiplied by its slope. Autograd (chapter 2) gives us the slopes directly: at $x = \pm 5$
# sigmoid and tanh are nearly flat (they *saturate*), ReLU's slope is exactly 0 for every
# negative input, while LeakyReLU keeps a small slope there. GELU dips slightly below zero for
# negative inputs (see its panel), so its slope there is small and negative.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
points = torch.tensor([-5.0, -1.0, 1.0, 5.0])
functions = {
    "ReLU": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softplus": F.softplus,
    "LeakyReLU": F.leaky_relu,
    "GELU": F.gelu,
}
print(f"{'slope at x =':>14}", "".join(f"{p:>9.0f}" for p in points.tolist()))
for name, fn in functions.items():
    p = points.clone().requires_grad_()
    fn(p).sum().backward()  # each output depends on its own input only: the grads are the slopes
    print(f"{name:>14}", "".join(f"{g:>9.4f}" for g in p.grad.tolist()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Regression: fitting a noisy curve
#
# The data: 100 points with $x$ evenly spaced in $[-1, 1]$ and $y = x^2 + \text{noise}$, the noise
# uniform in $[0, 0.2)$ — the data of Morvan's `301_regression.py`, which the notes follow but do
# not print, made by `noisy_curve`. Both tensors have shape
# `(100, 1)`: PyTorch layers expect a batch of samples along the first dimension and the features
# of one sample along the second, so one number per sample is a column, not a flat vector.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
x, y = noisy_curve(n=100, noise=0.2, seed=0)
print("x:", tuple(x.shape), x.dtype, "| y:", tuple(y.shape), y.dtype)
print(torch.cat([x, y], dim=1)[:3])  # first three (x, y) pairs
print(f"a flat line at the mean of y scores MSE {y.var(unbiased=False):.4f}")
print(f"the noise alone has variance 0.2^2 / 12 = {0.2**2 / 12:.4f}: no fit can go below that")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The network
#
# One hidden layer of 10 ReLU units and a linear output, as in the notes. `__init__` creates the
# layers (and so their parameters); `forward` says how data flows through them. (The notes write
# `super(Net, self).__init__()`; in Python 3 plain `super().__init__()` does the same.)


# %% slideshow={"slide_type": "fragment"}
class Net(nn.Module):
    def __init__(self, n_feature: int, n_hidden: int, n_output: int):
        super().__init__()
        self.hidden = nn.Linear(n_feature, n_hidden)  # (N, n_feature) -> (N, n_hidden)
        self.predict = nn.Linear(n_hidden, n_output)  # (N, n_hidden) -> (N, n_output)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.hidden(x))  # the bend, elementwise: shape unchanged
        return self.predict(x)  # a linear output: any real number


# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(0)
net = Net(n_feature=1, n_hidden=10, n_output=1)
print(net)
print("parameters:", sum(p.numel() for p in net.parameters()))  # 1*10 + 10 + 10*1 + 1

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Loss, optimizer, and the loop
#
# `nn.MSELoss()` is the mean squared error; its argument order is `(prediction, target)`. Plain
# SGD with learning rate 0.2 updates the weights. Every step is the same three lines:
# `optimizer.zero_grad()` (gradients accumulate, chapter 2; by default it now sets them to `None`),
# `loss.backward()`, `optimizer.step()`. We keep a copy of the prediction at a few steps to watch
# the fit take shape.

# %% slideshow={"slide_type": "fragment"}
optimizer = torch.optim.SGD(net.parameters(), lr=0.2)
loss_fn = nn.MSELoss()
steps = cfg.regression_steps
snap_at = sorted({0, steps // 10, steps // 4, steps // 2, steps})  # 5 snapshots
snapshots, losses = {}, []


def snapshot(step: int) -> None:
    with torch.no_grad():  # just looking: nothing to record
        prediction = net(x)
    snapshots[step] = (prediction, loss_fn(prediction, y).item())


# %% slideshow={"slide_type": "subslide"}
snapshot(0)
for step in range(1, steps + 1):
    prediction = net(x)  # (100, 1)
    loss = loss_fn(prediction, y)  # (prediction, target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if step in snap_at:
        snapshot(step)
final_mse = snapshots[steps][1]
print(f"{steps} steps: MSE {snapshots[0][1]:.4f} -> {final_mse:.4f}")
assert final_mse < 0.05, "the fit should beat a flat line (printed above) by far"

# %% slideshow={"slide_type": "subslide"} tags=["slides-output-subslide"]
fig, axes = plt.subplots(2, 3, figsize=(11, 6))
for ax, step in zip(axes.flat, snap_at, strict=False):
    prediction, mse = snapshots[step]
    ax.scatter(x.numpy(), y.numpy(), s=6, color="0.6")
    ax.plot(x.numpy(), prediction.numpy(), color="C3", lw=2)
    ax.set(title=f"after {step} steps: MSE {mse:.4f}", ylim=(-0.3, 1.3))
ax = axes.flat[-1]
ax.plot(range(1, steps + 1), losses)
ax.set(title="MSE loss per step", xlabel="step", yscale="log")
plt.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Before training the net draws an arbitrary broken line, far from the data. In the first few
# steps SGD mostly lifts it to the average height of the points — the loss drops quickly to about
# the flat-line value printed earlier — and then each of the 10 ReLU units' kinks moves until the
# broken line follows the parabola. The loss heads for the noise floor printed earlier: what is
# left there is noise that no function of $x$ can predict.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Classification: two clusters
#
# Now the target is a class. `two_clusters` draws 100 points around $(2, 2)$ (class 0) and 100
# around $(-2, -2)$ (class 1), from normal distributions with standard deviation 1, as in
# Morvan's `302_classification.py` (the notes show its network and loss, not its data). Each
# sample is a row of two features, so `features` is `(200, 2)`; the labels are one
# **class index** per sample, a `(200,)` tensor of dtype `int64` (`long`) — the form
# `CrossEntropyLoss` expects. A second draw with another seed is our test set.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
features, labels = two_clusters(n_per_class=100, spread=1.0, seed=0)
test_features, test_labels = two_clusters(n_per_class=100, spread=1.0, seed=1)
print("features:", tuple(features.shape), features.dtype)
print("labels:  ", tuple(labels.shape), labels.dtype, "| per class:", labels.bincount().tolist())
print(features[:2], labels[:2])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Two outputs: one score per class
#
# The same `Net`, now with 2 inputs and 2 outputs. Its outputs are **logits**: one unbounded
# score per class, possibly negative, with no reason to sum to 1. The notes call them
# probabilities; they are not, until a softmax turns them into probabilities.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(0)
clf = Net(n_feature=2, n_hidden=10, n_output=2)
print(clf)
with torch.no_grad():
    print("logits of the first 3 points:\n", clf(features[:3]))  # (3, 2)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### From logits to probabilities: `softmax(dim=1)`
#
# $\mathrm{softmax}(z)_k = e^{z_k} / \sum_j e^{z_j}$ makes every entry positive and the entries
# sum to 1. Over *which* entries? For a batch of logits shaped `(N, C)` — N samples, C classes —
# we want each **row** normalised: that is the class dimension, `dim=1`. `dim=0` would instead
# normalise each class across the batch, which means nothing. The notes call `F.softmax(out)`
# with no `dim`. That still runs today: PyTorch guesses (`dim=1` for a 2-D input, `dim=0` for
# 1-D and 3-D ones) and emits a `UserWarning` that the implicit choice is deprecated. Say `dim`.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
logits = torch.tensor([[2.0, -1.0], [0.5, 0.5], [-3.0, 4.0]])  # (N=3, C=2)
probs = F.softmax(logits, dim=1)
print(probs)
print("dim=1, row sums:   ", probs.sum(dim=1))
print("dim=0, row sums:   ", F.softmax(logits, dim=0).sum(dim=1), "<- the wrong axis")
print("same argmax:", torch.equal(logits.argmax(dim=1), probs.argmax(dim=1)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Softmax keeps the order of the scores, so the predicted class is simply `logits.argmax(dim=1)`:
# no softmax needed for that. And the loss wants the logits too: `nn.CrossEntropyLoss` applies
# `log_softmax` itself and then takes the negative log-probability of the true class,
# $-\frac1N\sum_i \log p_{i, y_i}$ (in one numerically stable step). Feeding it probabilities
# would apply softmax twice and compute a different, wrong loss.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
targets = torch.tensor([0, 1, 1])  # the true class of each row
ce = nn.CrossEntropyLoss()
print("CrossEntropyLoss(logits):        ", ce(logits, targets))
print("nll_loss(log_softmax(logits)):   ", F.nll_loss(F.log_softmax(logits, dim=1), targets))
print("by hand, -mean log p[true class]:", -probs[torch.arange(3), targets].log().mean())
print("CrossEntropyLoss(probs), wrong:  ", ce(probs, targets))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Training the classifier
#
# The loop is the regression loop with a different loss; SGD with learning rate 0.02, as in
# Morvan's 302 (the notes print only the regression's rate, 0.2). **Accuracy** is the fraction
# of points whose highest logit is the true class.

# %% slideshow={"slide_type": "fragment"}
optimizer = torch.optim.SGD(clf.parameters(), lr=0.02)
loss_fn = nn.CrossEntropyLoss()
history = {"loss": [], "accuracy": []}
for _ in range(cfg.classification_steps):
    logits = clf(features)  # (200, 2): raw scores, no softmax
    loss = loss_fn(logits, labels)  # labels: (200,) class indices
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    history["loss"].append(loss.item())
    history["accuracy"].append((logits.argmax(dim=1) == labels).float().mean().item())
with torch.no_grad():
    test_accuracy = (clf(test_features).argmax(dim=1) == test_labels).float().mean().item()
print(
    f"{cfg.classification_steps} steps: loss {history['loss'][0]:.3f} -> "
    f"{history['loss'][-1]:.3f}, test accuracy {test_accuracy:.3f}"
)
assert test_accuracy > 0.95, "two well-separated clusters: almost every point is easy"

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The decision boundary
#
# To see what the classifier learned, ask it about every point of a fine grid covering the
# data and colour each point by its predicted class. `torch.meshgrid(..., indexing="xy")` builds
# the grid; stacking its two coordinate arrays gives one `(40000, 2)` batch.

# %% slideshow={"slide_type": "fragment"} tags=["slides-output-subslide"]
lo, hi = features.min().item() - 1, features.max().item() + 1
gx, gy = torch.meshgrid(torch.linspace(lo, hi, 200), torch.linspace(lo, hi, 200), indexing="xy")
grid = torch.stack([gx.ravel(), gy.ravel()], dim=1)  # (40000, 2)
with torch.no_grad():
    grid_class = clf(grid).argmax(dim=1).reshape(gx.shape)  # (200, 200)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
ax1.contourf(gx, gy, grid_class, levels=[-0.5, 0.5, 1.5], colors=["C0", "C1"], alpha=0.25)
ax1.scatter(*features.T, c=labels, cmap="tab10", vmin=0, vmax=9, s=10)
ax1.set(title="predicted class over the plane (dots: training data)", aspect="equal")
ax2.plot(history["loss"], label="loss")
ax2.plot(history["accuracy"], label="training accuracy")
ax2.set(title="training", xlabel="step")
ax2.legend()
plt.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Between the clouds the boundary is nearly a straight line: these two classes can be told apart
# by a line, and the net found one. Far from the data, the boundary's course is an accident of
# where the ReLU kinks happen to lie (the shorter run of the fast profile leaves a stray stripe in
# the lower right): a classifier's answers mean little where it has seen no examples. Near the
# boundary both classes get probabilities close to 0.5; they grow more confident the farther a
# point lies from it, as the softmax of a few points shows.

# %% slideshow={"slide_type": "subslide"}
with torch.no_grad():
    for point in ([0.0, 0.0], [2.0, 2.0], [-2.0, -2.0]):
        p = F.softmax(clf(torch.tensor([point])), dim=1)  # (1, 2)
        print(f"point {point}: P(class 0) = {p[0, 0]:.3f}, P(class 1) = {p[0, 1]:.3f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The same network, two ways: a class and `nn.Sequential`
#
# When `forward` only passes the data through the layers one after another, `nn.Sequential`
# builds the same network in one expression. The activation then has to be a *module*,
# `nn.ReLU()`, since a `Sequential` holds modules. Compare the printouts: `print` lists
# submodules only, so the `F.relu` inside `Net.forward` does not appear, while `nn.ReLU()` does.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(1)
seq = nn.Sequential(
    nn.Linear(2, 10),  # (N, 2) -> (N, 10)
    nn.ReLU(),  # (N, 10) -> (N, 10)
    nn.Linear(10, 2),  # (N, 10) -> (N, 2)
)
print(clf)
print(seq)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Copying the weights across
#
# A `state_dict` maps each parameter's *name* to its tensor. The names come from the attribute
# names in the class (`hidden`, `predict`) and from the positions in the `Sequential` (`0`, `2`;
# the ReLU at position 1 has no parameters). So `seq.load_state_dict(clf.state_dict())` fails —
# which is also why the notes' "method 2" cannot work as written: it loads the parameters of
# their class net (2 → 10 → 2, names `hidden`/`predict`) into a `Sequential` (1 → 10 → 1,
# names `0`/`2`): wrong names *and* wrong shapes.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
print("class:     ", list(clf.state_dict()))
print("Sequential:", list(seq.state_dict()))
try:
    seq.load_state_dict(clf.state_dict())
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Renaming the keys fixes it. `load_state_dict` checks that every name matches and every shape
# fits, then copies the values; the two networks now compute exactly the same outputs.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
renamed = {
    key.replace("hidden.", "0.").replace("predict.", "2."): value
    for key, value in clf.state_dict().items()
}
print(seq.load_state_dict(renamed))
with torch.no_grad():
    same = torch.equal(clf(test_features), seq(test_features))
print("identical outputs on all 200 test points:", same)
assert same

# %% [markdown] slideshow={"slide_type": "fragment"}
# Use a class when `forward` does anything but a straight chain (branches, loops, several
# inputs); use `nn.Sequential` for a plain stack. An `nn.Sequential(OrderedDict(...))` gives its
# layers names of your choosing — you will use that in an exercise.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Saving and loading: the whole model vs a `state_dict`
#
# The notes show two ways, with `.pkl` file names (the usual suffix is `.pt`):
#
# 1. `torch.save(model, path)` **pickles the whole module object**;
# 2. `torch.save(model.state_dict(), path)` saves only the tensors, by name.
#
# We write both into a temporary directory that disappears at the end of the section, never into
# the notebook's folder.

# %% slideshow={"slide_type": "fragment"}
tmp = tempfile.TemporaryDirectory()
whole_path = Path(tmp.name) / "classifier_whole.pt"
state_path = Path(tmp.name) / "classifier_state.pt"
torch.save(clf, whole_path)  # the object itself, through pickle
torch.save(clf.state_dict(), state_path)  # a dict: name -> tensor
for path in (whole_path, state_path):
    print(f"{path.name}: {path.stat().st_size:,} bytes")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The notes say the state_dict way is "faster and uses less memory". Both files hold the same
# tensors; the whole-model file adds the pickled description of the module objects, a fixed
# overhead (the difference above) that does not grow with the number of parameters. For a network
# with millions of weights the two files are practically the same size. The real differences
# are in loading.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `weights_only=True` refuses the whole model
#
# Since PyTorch 2.6, `torch.load` defaults to `weights_only=True` (this book always writes it
# out). In that mode the unpickler accepts only tensors, plain containers (dict, list, tuple) and
# plain values (numbers, strings) — never an arbitrary class. A whole-model file names the class
# `Net` from our notebook (`__main__`), so it is refused:


# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
def explain(err: Exception) -> None:
    """Print the error type, the message's first line, and the line that says what was refused."""
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # drop the terminal's bold-text codes
    print(f"{type(err).__name__}: {message.splitlines()[0].strip()}")
    refused = [line for line in message.splitlines() if "Unsupported global" in line]
    print("  ...", refused[0].strip().split(". Please")[0])


try:
    torch.load(whole_path, weights_only=True)
except pickle.UnpicklingError as err:
    explain(err)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why that protects you: a pickle can run any code
#
# A pickle is not data but a small program that rebuilds objects, and an object may tell pickle
# to rebuild it by *calling any function with any arguments*. Here is a harmless one that calls
# `print`; a malicious file would call `os.system` instead, and loading it would be enough. With
# `weights_only=True`, PyTorch's restricted unpickler refuses the call.


# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
class Surprise:
    def __reduce__(self):  # "to rebuild me, call print(...)"
        return (print, ("!! printed by code inside the file, while it was being loaded",))


result = pickle.loads(pickle.dumps(Surprise()))  # plain pickle obeys
print("what plain pickle.loads returned:", result)
surprise_path = Path(tmp.name) / "surprise.pt"
torch.save(Surprise(), surprise_path)
try:
    torch.load(surprise_path, weights_only=True)  # refused: nothing runs
except pickle.UnpicklingError as err:
    explain(err)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Loading a whole model anyway — only a file you trust
#
# `weights_only=False` restores the full pickle behaviour: use it **only for a file you made
# yourself or got from a source you trust**, never for a checkpoint downloaded from somewhere.
# The file below is one this notebook wrote a minute ago. Note a second weakness: the pickle
# stores a *reference* to the class (`__main__.Net`), not its code, so the class must be defined
# under the same name when you load — rename or move it, and old files stop loading.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
# TRUSTED FILE ONLY: written by this very notebook, a few cells above.
whole = torch.load(whole_path, weights_only=False)
print(type(whole).__name__, "| a new object:", whole is not clf)
with torch.no_grad():
    print("same outputs:", torch.equal(whole(test_features), clf(test_features)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The recommended way: `state_dict` + `weights_only=True` + `load_state_dict`
#
# Save only the state_dict; to load, build the model from your code, read the tensors with
# `weights_only=True` (a dict of tensors passes), and copy them in with `load_state_dict`. The
# file holds no code, so it is safe to load, and it outlives renames of your class as long as
# the parameter names stay the same.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
state = torch.load(state_path, weights_only=True)
print({name: tuple(tensor.shape) for name, tensor in state.items()})
restored = Net(n_feature=2, n_hidden=10, n_output=2)  # fresh random weights ...
print(restored.load_state_dict(state))  # ... replaced by the saved ones
restored.eval()  # inference mode for layers like dropout (chapter 12); harmless here
with torch.no_grad():
    same = torch.equal(restored(test_features), clf(test_features))
print("same outputs:", same)
assert same

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `map_location`: loading a GPU checkpoint on a CPU
#
# A saved tensor remembers the device it lived on. A checkpoint written on a GPU machine,
# loaded on a laptop without one, fails ("Attempting to deserialize object on a CUDA device")
# unless `torch.load` is told where to put the tensors: `map_location="cpu"`, or the `device`
# the code picked (the university notes teach this). It can remap any device; here a CPU file
# goes to the `meta` device, which keeps shapes and no data, to show that the argument is obeyed.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
on_cpu = torch.load(state_path, weights_only=True, map_location="cpu")
on_meta = torch.load(state_path, weights_only=True, map_location="meta")
print("map_location='cpu':", {t.device.type for t in on_cpu.values()})
print("map_location='meta':", {t.device.type for t in on_meta.values()})
tmp.cleanup()  # delete the temporary directory and the checkpoints in it

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Without an activation between them, linear layers collapse into one; ReLU, sigmoid, tanh,
#   softplus, LeakyReLU and GELU each add a bend, and their slopes decide how gradients flow.
# * Regression: a linear output, `MSELoss(prediction, target)`; the loop is `zero_grad`,
#   `backward`, `step`.
# * Classification: one **logit** per class, `CrossEntropyLoss(logits, class_indices)`;
#   probabilities only through `F.softmax(logits, dim=1)`, the predicted class is `argmax(dim=1)`.
# * A class and an `nn.Sequential` can be the same network; a `state_dict` moves weights between
#   them once the names match.
# * Save `model.state_dict()`; load with `torch.load(path, weights_only=True)` and
#   `load_state_dict`. `weights_only=False` runs whatever the file says: trusted files only.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Solutions are hidden below each exercise (click to expand in JupyterLab). Try first.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 1 — which bend learns fastest?** Train the regression net of this chapter (as an
# `nn.Sequential`: 1 → 10 → 1) once with each of ReLU, tanh, softplus, GELU and sigmoid as the
# hidden activation: `torch.manual_seed(0)` before building each, so all start from the same
# weights; SGD with learning rate 0.2; `cfg.regression_steps` steps. Print the final MSE of each.
# Check that ReLU beats sigmoid, and explain what you see with the slopes table.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
final = {}
for act in (nn.ReLU, nn.Tanh, nn.Softplus, nn.GELU, nn.Sigmoid):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 10), act(), nn.Linear(10, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    for _ in range(cfg.regression_steps):
        loss = F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    final[act.__name__] = F.mse_loss(model(x), y).item()
print({name: round(mse, 4) for name, mse in final.items()})
# sigmoid's slope is at most 0.25: small gradients, slow learning at this learning rate
assert final["ReLU"] < final["Sigmoid"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 — three classes.** Add a third cluster of 100 points around $(2, -2)$, label 2
# (hint: take the class-0 points of `two_clusters(100, 1.0, seed=2)` and flip the sign of their
# second feature). Train a 2 → 10 → 3 net with `CrossEntropyLoss` and SGD (learning rate 0.1)
# for `cfg.classification_steps` steps, print the per-class probabilities of the point $(2, -2)$,
# and check that class 2 wins there and that the training accuracy exceeds 90 %.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
extra, _ = two_clusters(100, 1.0, seed=2)
third = extra[:100] * torch.tensor([1.0, -1.0])  # around (2, -2)
features3 = torch.cat([features, third])  # (300, 2)
labels3 = torch.cat([labels, torch.full((100,), 2)])  # (300,), int64
torch.manual_seed(0)
model = Net(n_feature=2, n_hidden=10, n_output=3)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(cfg.classification_steps):
    loss = F.cross_entropy(model(features3), labels3)
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
    accuracy3 = (model(features3).argmax(dim=1) == labels3).float().mean().item()
    probabilities = F.softmax(model(torch.tensor([[2.0, -2.0]])), dim=1)  # (1, 3)
print("P(class | (2, -2)):", probabilities)
print(f"training accuracy: {accuracy3:.3f}")
assert probabilities.argmax(dim=1).item() == 2 and accuracy3 > 0.9

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 — a checkpoint with its settings.** Save, in one file in a temporary directory, a
# dict holding the trained classifier's `state_dict` *and* its sizes
# (`{"n_hidden": 10, "state_dict": ...}`). Load it with `weights_only=True` (plain numbers and
# dicts are allowed), rebuild the network as an `nn.Sequential(OrderedDict(...))` whose layer
# names match the class's (`hidden`, `act`, `predict`), load the weights without renaming any
# key, and check that it predicts exactly like `clf`.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "checkpoint.pt"
    torch.save({"n_hidden": 10, "state_dict": clf.state_dict()}, path)
    checkpoint = torch.load(path, weights_only=True)
n_hidden = checkpoint["n_hidden"]
named = nn.Sequential(
    OrderedDict(
        hidden=nn.Linear(2, n_hidden),  # (N, 2) -> (N, 10)
        act=nn.ReLU(),
        predict=nn.Linear(n_hidden, 2),  # (N, 10) -> (N, 2)
    )
)
print(named.load_state_dict(checkpoint["state_dict"]))
with torch.no_grad():
    assert torch.equal(named(test_features), clf(test_features))
