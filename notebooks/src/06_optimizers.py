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
# # Chapter 6 — Optimizers
#
# An **optimizer** (优化器) is the object that turns gradients into parameter updates. Chapter 3
# wrote that update by hand and then handed it to `torch.optim.SGD`; this chapter looks inside
# the box and at the knobs on it.
#
# In this chapter we:
#
# - write out the update rules of SGD, momentum, AdaGrad, RMSprop and Adam;
# - race SGD, momentum, RMSprop and Adam on one regression task, **from the same initial
#   weights** and on the same mini-batches, and plot their losses together;
# - implement Adam by hand and check it against `torch.optim.Adam`, step by step;
# - give different parts of a network different learning rates (parameter groups), fixing the
#   study notes' example, which does not run;
# - change the learning rate during training, by hand and with a scheduler, and see why
#   building a new optimizer is not the same thing.

# %% slideshow={"slide_type": "subslide"}
import copy
import math

import matplotlib.pyplot as plt
import torch
from matplotlib.ticker import MaxNLocator
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils.device import seed_everything
from course_utils.profile import settings
from course_utils.toydata import noisy_curve, two_clusters

cfg = settings("06")
print(f"profile {cfg.profile!r}: {cfg.epochs} epochs, {cfg.points} points")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The task: one noisy curve, in mini-batches
#
# The video-course notes compare four optimizers and show only their constructors (with
# `lr=LR`). The task and the settings come from the code the notes follow, Morvan's
# `306_optimizer.py`: points $(x, x^2 + \text{noise})$ for $x \in [-1, 1]$, a net with one hidden
# layer of 20 units, mini-batches of 32, learning rate 0.01 and 12 epochs. We use the book's
# `noisy_curve` (its noise is uniform in $[0, 0.2)$ rather than Morvan's Gaussian, which changes
# nothing below) with `cfg.points` points and `cfg.epochs` epochs: Morvan's 1,000 points and 12
# epochs in the full profile, fewer in the fast one.
#
# The `DataLoader` shuffles with its own seeded generator, so every run sees the same batches.

# %% slideshow={"slide_type": "-"} tags=["slides-output-subslide"]
LR, BATCH_SIZE = 0.01, 32  # Morvan's 306 settings
loader_generator = seed_everything(0)
x, y = noisy_curve(cfg.points)  # each (points, 1)
loader = DataLoader(
    TensorDataset(x, y), batch_size=BATCH_SIZE, shuffle=True, generator=loader_generator
)
print(f"x {tuple(x.shape)}, y {tuple(y.shape)}, {len(loader)} mini-batches per epoch")

fig, ax = plt.subplots(figsize=(6, 3))
ax.scatter(x.squeeze(1).numpy(), y.squeeze(1).numpy(), s=4)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("the data: y = x² + noise")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One network, four identical copies
#
# A fair race starts everyone from the same line. A freshly built network draws random initial
# weights, so four separately built networks would start from four different points of the loss
# landscape, and part of any difference in their curves would come from the start, not from the
# optimizer. We build **one** network and `copy.deepcopy` it four times. (Loading one
# `state_dict` into four new networks does the same.)

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
def make_net() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(1, 20),  # (N,1) -> (N,20)
        nn.ReLU(),
        nn.Linear(20, 1),  # (N,20) -> (N,1)
    )


def max_difference(net_a: nn.Module, net_b: nn.Module) -> float:
    """The largest absolute difference between the parameters of two networks of one shape."""
    pairs = zip(net_a.parameters(), net_b.parameters(), strict=True)
    return max((p - q).abs().max().item() for p, q in pairs)


torch.manual_seed(0)
template = make_net()
names = ["SGD", "Momentum", "RMSprop", "Adam"]
nets = {name: copy.deepcopy(template) for name in names}
same_start = all(max_difference(net, template) == 0 for net in nets.values())
print(template)
print("all four copies start from the template's weights:", same_start)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The update rules
#
# Write $\theta$ for the parameters, $g_t = \nabla_\theta L(\theta_{t-1})$ for the gradient of the
# loss on the mini-batch of step $t$, and $\eta$ for the learning rate (学习率). Products and
# squares of vectors below are element by element, so every parameter gets its own update.
#
# **SGD** (stochastic gradient descent) steps against the gradient:
#
# $$\theta_t = \theta_{t-1} - \eta\, g_t.$$
#
# The university notes say SGD "computes one sample per update". That is the textbook extreme;
# `torch.optim.SGD` knows nothing about samples and simply applies the rule to whatever gradient
# `backward()` left behind, here the gradient of a 32-point mini-batch. "Stochastic" refers to
# the randomness of which points make up the batch.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Momentum
#
# SGD zig-zags across a narrow valley and crawls along its floor. Momentum keeps a **velocity**
# $v$, a running sum of past gradients in which old ones fade by the factor $\mu$ (`momentum=`):
#
# $$v_t = \mu\, v_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, v_t, \qquad v_1 = g_1.$$
#
# Components that keep their sign add up (speed along the valley floor); components that flip
# sign cancel (less zig-zag). This is PyTorch's form. Textbooks often write
# $v_t = \mu v_{t-1} - \eta g_t,\ \theta_t = \theta_{t-1} + v_t$: the same steps while $\eta$ is
# constant, slightly different ones when $\eta$ changes during training.
# `SGD(..., momentum=0.8)` is the notes' "Momentum" optimizer.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### AdaGrad and RMSprop
#
# **AdaGrad** gives every parameter its own step size: it accumulates squared gradients and
# divides by their root, so parameters with large gradients take smaller steps:
#
# $$G_t = G_{t-1} + g_t^2, \qquad
# \theta_t = \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{G_t} + \epsilon}.$$
#
# $G_t$ only grows, so the steps shrink for ever and training can stall (`torch.optim.Adagrad`).
# **RMSprop** replaces the sum by a running average that forgets, with factor $\alpha$ (`alpha=`,
# 0.99 by default; the notes use 0.9):
#
# $$s_t = \alpha\, s_{t-1} + (1 - \alpha)\, g_t^2, \qquad
# \theta_t = \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{s_t} + \epsilon}.$$
#
# The notes call RMSprop "the merger of the two above" (momentum and AdaGrad). Only the idea of a
# fading average comes from momentum, and it is applied to $g^2$, not to the gradient itself:
# RMSprop has no velocity (unless you pass `momentum=`). The full merger is Adam.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Adam
#
# Adam keeps both averages: a first moment $m$ (momentum's velocity, as an average) and a second
# moment $v$ (RMSprop's average of $g^2$), with factors $\beta_1, \beta_2$ (`betas=`, default
# `(0.9, 0.999)`; the notes use `(0.9, 0.99)`):
#
# $$m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad
# v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2,$$
#
# $$\hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
# \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.$$
#
# Both averages start at zero, so early on they are too small; dividing by $1 - \beta^t$
# (**bias correction**) undoes exactly that. At $t = 1$: $\hat m_1 = g_1$, $\hat v_1 = g_1^2$, and
# the first step is $\eta\, g_1 / (|g_1| + \epsilon) \approx \eta$ in size, whatever the scale of
# the gradient. The next cell checks this against SGD, whose step is proportional to $g$.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
for scale in [1e-3, 1.0, 1e3]:
    steps = {}
    for name, make_opt in [("SGD", torch.optim.SGD), ("Adam", torch.optim.Adam)]:
        w = torch.zeros(1, requires_grad=True)
        opt = make_opt([w], lr=0.01)
        (scale * w).sum().backward()  # dL/dw = scale
        opt.step()
        steps[name] = w.item()
    print(f"gradient {scale:>6g}: SGD moves w to {steps['SGD']:>8.5f}, Adam to {steps['Adam']:.5f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Four optimizers, one race
#
# The notes' four optimizers, with the notes' hyperparameters. Each optimizer receives the
# parameters of its own copy of the network: an optimizer only ever updates the tensors it was
# given.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
optimizers = {
    "SGD": torch.optim.SGD(nets["SGD"].parameters(), lr=LR),
    "Momentum": torch.optim.SGD(nets["Momentum"].parameters(), lr=LR, momentum=0.8),
    "RMSprop": torch.optim.RMSprop(nets["RMSprop"].parameters(), lr=LR, alpha=0.9),
    "Adam": torch.optim.Adam(nets["Adam"].parameters(), lr=LR, betas=(0.9, 0.99)),
}
loss_fn = nn.MSELoss()
for name, opt in optimizers.items():
    group = opt.param_groups[0]  # every hyperparameter, defaults included, lives in the group
    shown = {k: group[k] for k in ("lr", "momentum", "alpha", "betas", "eps") if k in group}
    print(f"{name:>8}: {type(opt).__name__:<8} {shown}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Every mini-batch is fed to all four networks in turn, so they see exactly the same batches in
# the same order. We record each step's mini-batch loss (noisy) and, after every epoch, the loss
# on the whole data set (smooth, for the comparison).

# %% slideshow={"slide_type": "-"}
step_losses = {name: [] for name in names}
with torch.no_grad():
    epoch_losses = {name: [loss_fn(nets[name](x), y).item()] for name in names}  # epoch 0
for _epoch in range(cfg.epochs):
    for batch_x, batch_y in loader:  # (32,1) each (the last batch may be smaller)
        for name, opt in optimizers.items():
            loss = loss_fn(nets[name](batch_x), batch_y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step_losses[name].append(loss.item())
    with torch.no_grad():
        for name in names:
            epoch_losses[name].append(loss_fn(nets[name](x), y).item())

# %% slideshow={"slide_type": "subslide"}
fig, (ax_steps, ax_epochs) = plt.subplots(1, 2, figsize=(11, 3.8))
for name in names:
    ax_steps.plot(step_losses[name], label=name, lw=1)
    ax_epochs.plot(epoch_losses[name], marker="o", label=name)
ax_steps.set(xlabel="step", ylabel="mini-batch loss", yscale="log", title="every step")
ax_epochs.set(xlabel="epoch", ylabel="loss on all points", yscale="log", title="after each epoch")
ax_epochs.xaxis.set_major_locator(MaxNLocator(integer=True))
for ax in (ax_steps, ax_epochs):
    ax.legend()
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% slideshow={"slide_type": "subslide"}
for name in names:
    print(f"{name:>8}: loss {epoch_losses[name][0]:.4f} -> {epoch_losses[name][-1]:.4f}")
assert all(epoch_losses[name][-1] < epoch_losses[name][0] / 3 for name in names)
assert epoch_losses["Adam"][-1] < epoch_losses["SGD"][-1]
assert epoch_losses["RMSprop"][-1] < epoch_losses["SGD"][-1]

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the race shows, and what it does not
#
# Every optimizer lowered the loss, and the adaptive ones (RMSprop, Adam) got furthest in the
# same number of steps: see the output above (which of those two ends lower can change with the
# number of epochs: compare the fast profile). The notes conclude that "Adam performs best".
# That holds **for this task at learning rate 0.01**, a rate that is small for plain SGD: SGD's
# step is $\eta g$ and shrinks with the gradient as the loss flattens out, while Adam's steps keep
# a size of about $\eta$ whatever the gradient's scale (the check above). Give SGD a larger rate
# and it catches up: in Exercise 2, SGD at learning rate 0.3 ends lower than Adam did in the
# same race (the exercise's output). Comparing optimizers fairly means tuning each one's learning
# rate. In practice Adam is a robust default that needs little tuning, and SGD with momentum,
# well tuned, remains the standard for many vision models (Chapter 7 uses it).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Adam by hand
#
# Nothing in `torch.optim` is magic. Below is the Adam rule from above, written with in-place
# updates inside `torch.no_grad()` (the update must not be recorded by autograd). Older code
# wrote `p.data -= …`; `.data` bypasses autograd's checks silently, and `no_grad` is the modern
# way. Each parameter tensor gets its own pair of moment tensors $(m, v)$, and one step counter
# $t$ serves them all.

# %% slideshow={"slide_type": "-"}
@torch.no_grad()
def adam_step(params, moments, t, lr=0.01, betas=(0.9, 0.99), eps=1e-8):
    """One Adam update of every tensor in `params`; `moments[i]` is (m, v) of `params[i]`."""
    beta1, beta2 = betas
    for p, (m, v) in zip(params, moments, strict=True):
        m.mul_(beta1).add_((1 - beta1) * p.grad)  # m_t = b1 m + (1 - b1) g
        v.mul_(beta2).add_((1 - beta2) * p.grad**2)  # v_t = b2 v + (1 - b2) g^2
        m_hat = m / (1 - beta1**t)  # bias corrections
        v_hat = v / (1 - beta2**t)
        p -= lr * m_hat / (v_hat.sqrt() + eps)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Checked against `torch.optim.Adam`, step by step
#
# Two copies of one network, one driven by `adam_step`, the other by `torch.optim.Adam` with the
# same hyperparameters. At every step both see the same random mini-batch; after every step we
# compare all parameters. (A fixed data set and a fixed number of steps, so this check prints the
# same in both profiles.)

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
net_hand = make_net()
net_torch = copy.deepcopy(net_hand)
start = copy.deepcopy(net_hand)  # to check below that the parameters really moved
params = list(net_hand.parameters())
moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
reference = torch.optim.Adam(net_torch.parameters(), lr=0.01, betas=(0.9, 0.99))
x_check, y_check = noisy_curve(256, seed=1)
differences = []
for t in range(1, 51):
    batch = torch.randint(0, 256, (32,))  # the same 32 indices for both networks
    for net in (net_hand, net_torch):
        net.zero_grad()
        loss_fn(net(x_check[batch]), y_check[batch]).backward()
    adam_step(params, moments, t)
    reference.step()
    differences.append(max_difference(net_hand, net_torch))

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
moved = max_difference(net_hand, start)
print(f"{len(differences)} steps compared; parameters moved by more than 0.01: {moved > 0.01}")
print("parameters equal within 1e-6 after every step:", max(differences) < 1e-6)
print("largest difference seen, rounded to 1e-6:", round(max(differences), 6))
assert max(differences) < 1e-6

# %% [markdown] slideshow={"slide_type": "notes"}
# The differences are float32 rounding: `torch.optim.Adam` folds the two bias corrections into
# the step size and the denominator,
# $\frac{\eta}{1-\beta_1^t} \cdot m / (\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon)$, which is the
# same number computed in another order. Chapter 3 wrote plain SGD by
# hand; Exercise 1 below does the same check for momentum.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Parameter groups: different learning rates for different parts
#
# An optimizer accepts, instead of one iterable of tensors, a **list of dicts**, one per
# *parameter group*. Each dict must hold the tensors under the key `"params"` and may override
# any hyperparameter; keys it leaves out take the values passed to the constructor. The usual
# use is fine-tuning: a pretrained feature extractor moves slowly, a new head quickly.
#
# The university notes give this example (a network with `features` and `classifiers`):
#
# ```python
# old_1r=0.1
# optimizer=optim.SGD([
#     {'param':net.features.parameters()},
#     {'param':net.classifiers.parameters(),'lr':old_lr*0.5}], lr=1e-5)
# ```
#
# It has two bugs: `old_1r` is spelled with the digit one but used as `old_lr`, and the key is
# `'param'` instead of `'params'`. First, a network with the two parts.

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
class TwoPartNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Linear(2, 16),  # (N,2) -> (N,16)
            nn.ReLU(),
            nn.Linear(16, 16),  # (N,16) -> (N,16)
            nn.ReLU(),
        )
        self.classifier = nn.Linear(16, 2)  # (N,16) -> (N,2): one logit per class

    def forward(self, x):
        return self.classifier(self.features(x))


torch.manual_seed(0)
net = TwoPartNet()
print(net)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The notes' code as written, on this network (with the attribute called `classifier`). Python
# evaluates the list before calling `SGD`, so the misspelt name fails first; with the name fixed,
# the missing `"params"` key fails inside the optimizer.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
old_1r = 0.1  # the notes' typo: digit 1 instead of letter l
try:
    torch.optim.SGD(
        [
            {"param": net.features.parameters()},
            {"param": net.classifier.parameters(), "lr": old_lr * 0.5},  # noqa: F821
        ],
        lr=1e-5,
    )
except NameError as error:
    print(f"{type(error).__name__}: {str(error).splitlines()[0]}")

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
old_lr = 0.1  # first bug fixed
try:
    torch.optim.SGD(
        [
            {"param": net.features.parameters()},  # second bug still here
            {"param": net.classifier.parameters(), "lr": old_lr * 0.5},
        ],
        lr=1e-5,
    )
except (KeyError, ValueError) as error:
    print(f"{type(error).__name__}: {str(error).splitlines()[0]}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The working version
#
# With both bugs fixed, the features train at the constructor's `lr=1e-5` (almost frozen) and the
# classifier at `old_lr * 0.5`. `optimizer.param_groups` is a plain list of dicts: each group
# holds its tensors and **all** of its hyperparameters, the inherited ones (`momentum` here)
# included.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
optimizer = torch.optim.SGD(
    [
        {"params": net.features.parameters()},  # lr from the default below
        {"params": net.classifier.parameters(), "lr": old_lr * 0.5},
    ],
    lr=1e-5,
    momentum=0.9,
)
for i, group in enumerate(optimizer.param_groups):
    shapes = [tuple(p.shape) for p in group["params"]]
    print(f"group {i}: lr={group['lr']}, momentum={group['momentum']}, tensors {shapes}")
print("learning rates:", [group["lr"] for group in optimizer.param_groups])

# %% [markdown] slideshow={"slide_type": "notes"}
# Every parameter must belong to at most one group: giving a tensor to two groups raises a
# `ValueError`. A parameter left out of every group is simply never updated, which is one way to
# freeze it (another is `requires_grad_(False)`, which also saves computing its gradient).
# `optimizer.add_param_group({...})` adds a group later, for example when a frozen layer is
# unfrozen halfway through training.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Changing the learning rate during training
#
# A large rate makes fast progress early; a smaller one settles into a minimum later. The
# university notes name two ways to change it: edit `optimizer.param_groups`, or build a new
# optimizer. A third, the usual one today, is a **learning-rate scheduler**.
#
# ### By hand: edit `param_group["lr"]`
#
# The optimizer reads `group["lr"]` afresh at every `step()`, so writing a new value into each
# group takes effect at once. Here: start at 0.1 and halve every 3 epochs, for 10 epochs. (No
# training yet: the schedule itself is the point, and the next cells compare it with
# schedulers.)

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
EPOCHS_SHOWN = 10
optimizer = torch.optim.SGD(TwoPartNet().parameters(), lr=0.1, momentum=0.9)
by_hand = []
for epoch in range(EPOCHS_SHOWN):
    by_hand.append(optimizer.param_groups[0]["lr"])
    # ... one epoch of training would go here ...
    if (epoch + 1) % 3 == 0:
        for group in optimizer.param_groups:
            group["lr"] *= 0.5
print("by hand:", by_hand)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### With a scheduler
#
# `torch.optim.lr_scheduler` holds ready-made schedules. A scheduler wraps an optimizer and
# rewrites the `lr` of every group each time you call `scheduler.step()`: **once per epoch,
# after the epoch's `optimizer.step()` calls** (since PyTorch 1.1; older code called it first,
# which shifts the schedule by one epoch and now triggers a warning). `scheduler.get_last_lr()`
# returns the current rates, one per group. `StepLR(step_size=3, gamma=0.5)` is the schedule
# above.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
def schedule(make_scheduler, epochs=EPOCHS_SHOWN, lr=0.1):
    """The lr used in each epoch under `make_scheduler(optimizer)` (no real training)."""
    optimizer = torch.optim.SGD(TwoPartNet().parameters(), lr=lr, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(scheduler.get_last_lr()[0])
        optimizer.step()  # training steps go here (no gradients yet, so nothing moves)
        scheduler.step()  # once per epoch, after the optimizer
    return rates


step_lr = schedule(lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5))
print("StepLR: ", step_lr)
print("same as by hand:", step_lr == by_hand)

# %% [markdown] slideshow={"slide_type": "subslide"}
# `CosineAnnealingLR(T_max=10)` lowers the rate smoothly from its initial value $\eta_0$ to
# `eta_min` (default 0) along half a cosine, $\eta_e = \eta_{\min} + \frac{1}{2}(\eta_0 -
# \eta_{\min})\,(1 + \cos\frac{\pi e}{T_{\max}})$ in epoch $e$: no sudden drops.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
cosine = schedule(lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS_SHOWN))
print("Cosine:", [round(lr, 4) for lr in cosine])
formula = [0.05 * (1 + math.cos(math.pi * e / EPOCHS_SHOWN)) for e in range(EPOCHS_SHOWN)]
print("matches the formula:", all(abs(a - b) < 1e-9 for a, b in zip(cosine, formula, strict=True)))

# %% slideshow={"slide_type": "subslide"}
fig, ax = plt.subplots(figsize=(6.5, 3.2))
edges = range(EPOCHS_SHOWN + 1)  # epoch e uses its rate from e to e + 1
ax.stairs(by_hand, edges, baseline=None, lw=4, alpha=0.4, label="by hand (halve every 3)")
ax.stairs(step_lr, edges, baseline=None, ls="--", label="StepLR(3, 0.5)")
ax.plot(range(EPOCHS_SHOWN), cosine, marker="o", label="CosineAnnealingLR(10)")
ax.set(xlabel="epoch", ylabel="learning rate", title="three schedules")
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A scheduler in a real training loop
#
# Now the two-part network learns the two clusters of Chapter 4, with a slower rate for the
# features than for the classifier, momentum 0.9, and a cosine schedule over `cfg.epochs`
# epochs. The scheduler scales **every** group: both rates follow the cosine, and their ratio
# stays 1 : 10.

# %% slideshow={"slide_type": "-"}
seed_everything(0)
features, labels = two_clusters(cfg.points // 2)  # (points, 2) float, (points,) long
cluster_gen = torch.Generator().manual_seed(0)
cluster_loader = DataLoader(
    TensorDataset(features, labels), batch_size=BATCH_SIZE, shuffle=True, generator=cluster_gen
)
net = TwoPartNet()
optimizer = torch.optim.SGD(
    [{"params": net.features.parameters(), "lr": 0.01}, {"params": net.classifier.parameters()}],
    lr=0.1,
    momentum=0.9,
)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
ce_loss = nn.CrossEntropyLoss()

# %% slideshow={"slide_type": "subslide"}
rates, losses = [], []
for _epoch in range(cfg.epochs):
    rates.append(scheduler.get_last_lr())  # [features lr, classifier lr] for this epoch
    total = 0.0
    for batch_x, batch_y in cluster_loader:  # (32,2) float, (32,) long
        loss = ce_loss(net(batch_x), batch_y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch_y)
    losses.append(total / len(labels))
    scheduler.step()
with torch.no_grad():
    accuracy = (net(features).argmax(dim=1) == labels).float().mean().item()
print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}, accuracy {accuracy:.1%}")
assert losses[-1] < losses[0] and accuracy > 0.9

# %% slideshow={"slide_type": "subslide"}
epochs_axis = range(1, cfg.epochs + 1)
fig, (ax_lr, ax_loss) = plt.subplots(1, 2, figsize=(10, 3.2))
ax_lr.plot(epochs_axis, [r[0] for r in rates], marker="o", label="features")
ax_lr.plot(epochs_axis, [r[1] for r in rates], marker="o", label="classifier")
ax_lr.set(xlabel="epoch", ylabel="learning rate", yscale="log", title="learning rate per epoch")
ax_loss.plot(epochs_axis, losses, marker="o")
ax_loss.set(xlabel="epoch", ylabel="mean loss", title="training loss")
for ax in (ax_lr, ax_loss):
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
ax_lr.legend()
plt.show()
assert all(abs(r[1] / r[0] - 10) < 1e-6 for r in rates)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A new optimizer starts with no memory
#
# The notes' second way, building a new optimizer with the new rate, is cheap, as they say, but it
# is **not** the same as changing the rate. Momentum SGD, RMSprop and Adam keep per-parameter
# state in `optimizer.state` (velocities, averages, Adam's step counter), and a new optimizer
# starts with none: momentum restarts from zero and Adam's bias correction starts over.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
net = TwoPartNet()
old = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for _ in range(3):
    old.zero_grad()
    ce_loss(net(features[:32]), labels[:32]).backward()
    old.step()
first_state = old.state[net.classifier.weight]
print("old optimizer:", len(old.state), "tensors with state; keys", list(first_state))
new = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
print("new optimizer:", len(new.state), "tensors with state")

# %% [markdown] slideshow={"slide_type": "subslide"}
# To keep the state, change `param_groups` (or use a scheduler). If you really must build a new
# optimizer, copy the state over with `load_state_dict`, then set the rate: loading also restores
# the old `lr`.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
new.load_state_dict(old.state_dict())
for group in new.param_groups:
    group["lr"] = 0.05
kept = all(
    torch.equal(new.state[p]["momentum_buffer"], old.state[p]["momentum_buffer"])
    for p in net.parameters()
)
print("after load_state_dict:", len(new.state), "tensors with state; buffers kept:", kept)
print("learning rates:", [group["lr"] for group in new.param_groups])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - An optimizer applies an update rule to the tensors it was given, using whatever gradients
#   `backward()` left in `.grad`: `zero_grad()`, `backward()`, `step()`.
# - SGD steps by $\eta g$; momentum adds a fading velocity; AdaGrad and RMSprop divide by the root
#   of (summed / averaged) squared gradients; Adam does both, with bias correction.
# - Compare optimizers from the same initial weights, on the same batches, and tune each one's
#   learning rate before declaring a winner.
# - Parameter groups: a list of dicts with the key `"params"`; missing settings are inherited.
# - Change the rate by editing `param_groups` or with a scheduler (`scheduler.step()` once per
#   epoch, after `optimizer.step()`); a new optimizer forgets its state unless you load it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Try each exercise before opening its solution (the hidden cell below it).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1 — momentum by hand
#
# Write `momentum_step(params, velocities, lr, mu)` implementing PyTorch's momentum rule
# ($v_1 = g_1$, then $v_t = \mu v_{t-1} + g_t$, $\theta_t = \theta_{t-1} - \eta v_t$) with
# `torch.no_grad()`. Check it against `torch.optim.SGD(lr=0.01, momentum=0.8)` for 30 steps on
# the same batches, from the same initial weights: the parameters must agree within 1e-6 after
# every step. Hint: start the velocities at zero; then $v_1 = \mu \cdot 0 + g_1 = g_1$ for free.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
@torch.no_grad()
def momentum_step(params, velocities, lr, mu):
    for p, v in zip(params, velocities, strict=True):
        v.mul_(mu).add_(p.grad)  # v_t = mu v_{t-1} + g_t
        p -= lr * v


torch.manual_seed(0)
net_hand = make_net()
net_torch = copy.deepcopy(net_hand)
params = list(net_hand.parameters())
velocities = [torch.zeros_like(p) for p in params]
reference = torch.optim.SGD(net_torch.parameters(), lr=0.01, momentum=0.8)
worst = 0.0
for _ in range(30):
    batch = torch.randint(0, 256, (32,))
    for model in (net_hand, net_torch):
        model.zero_grad()
        loss_fn(model(x_check[batch]), y_check[batch]).backward()
    momentum_step(params, velocities, lr=0.01, mu=0.8)
    reference.step()
    worst = max(worst, max_difference(net_hand, net_torch))
print("largest difference over 30 steps below 1e-6:", worst < 1e-6)
assert worst < 1e-6

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2 — was it the optimizer or the learning rate?
#
# Train plain SGD on the race's task from `template`'s weights, on the race's `loader`, for
# `cfg.epochs` epochs, with learning rates 0.01, 0.1, 0.3 and 1.0. Which rate ends with the
# lowest loss on all points? How does it compare with Adam's final loss in the race
# (`epoch_losses["Adam"][-1]`)? What happens at 1.0?

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
def final_sgd_loss(lr):
    model = copy.deepcopy(template)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(cfg.epochs):
        for batch_x, batch_y in loader:
            opt.zero_grad()
            loss_fn(model(batch_x), batch_y).backward()
            opt.step()
    with torch.no_grad():
        return loss_fn(model(x), y).item()


sweep = {lr: final_sgd_loss(lr) for lr in [0.01, 0.1, 0.3, 1.0]}
print("SGD:", {lr: round(loss, 4) for lr, loss in sweep.items()})
adam_final = epoch_losses["Adam"][-1]
print("Adam in the race:", round(adam_final, 4))
best = min(sweep, key=sweep.get)
assert best in (0.1, 0.3) and sweep[best] < sweep[0.01] / 2
assert not sweep[1.0] < sweep[0.01], "too large a rate overshoots (or diverges to nan)"
# at its best rate SGD is as good as Adam here: within a factor of 2, and below it in the full run
assert sweep[best] < 2 * adam_final and (sweep[best] < adam_final or cfg.profile == "fast")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3 — warm-up, then cosine
#
# Large models often start with a few epochs of **warm-up**: the rate climbs from a small value
# to its peak, then decays. Build, for an SGD optimizer with `lr=0.1`, a 10-epoch schedule that
# rises linearly over the first 3 epochs (from 0.1 × 0.1 = 0.01) and then follows a cosine down
# towards 0 over the remaining 7, using `LinearLR`, `CosineAnnealingLR` and `SequentialLR`.
# Print the rate of each epoch (the `schedule` helper above does the stepping).

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
def warmup_cosine(opt):
    warmup = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3)
    decay = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7)
    return torch.optim.lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[3])


warm_rates = schedule(warmup_cosine)
print([round(lr, 4) for lr in warm_rates])
assert abs(warm_rates[0] - 0.01) < 1e-9 and warm_rates[0] < warm_rates[1] < warm_rates[2]
assert abs(max(warm_rates) - 0.1) < 1e-9 and warm_rates[-1] < 0.01
