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
# # Chapter 11 — Generative adversarial networks
#
# A generative adversarial network (GAN) is two networks trained against each other. The
# **generator** G turns random noise into samples; the **discriminator** D looks at a sample and
# outputs the probability that it is real. D learns to tell real from generated, G learns to fool
# D. If both play well, G ends up drawing samples that D cannot tell from the real ones.
#
# The video course behind these notes follows Morvan Zhou's `406_GAN.py`, where the "real data"
# are not images but curves: a famous artist paints parabolas, and G learns to paint like them.
# In this chapter we:
#
# - build Morvan's painter GAN, meet the error its original step order raises on current
#   PyTorch, and train it with the fixed order;
# - read the training curves and Morvan's signs of convergence;
# - **measure** whether it worked, by fitting the artist's parameter to every generated curve;
# - compare the saturating and non-saturating generator losses, and logits against a log of a
#   sigmoid, by measurement;
# - train Morvan's conditional GAN and check each class against its true range;
# - go further: a small GAN on the real MNIST, judged by Chapter 8's ConvNet.

# %% slideshow={"slide_type": "subslide"}
import math
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.device import pick_device, seed_everything
from course_utils.profile import settings

cfg = settings("11")
device = pick_device()
torch.set_num_threads(1)  # tiny networks: one thread is faster (see the note below)
print(f"torch {torch.__version__}, profile {cfg.profile!r}, settings {vars(cfg)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# The painter's networks have about 2,800 parameters each, and one step multiplies a 64×15 batch
# by a 15×128 matrix: far too little work to share between threads. On a shared 2-core machine the
# extra thread only waits for a free core; on the book's machine, with another job running, one
# step of the painter GAN took about 3 ms on one thread and over 100 ms on two. The painter GAN
# runs on the CPU whatever `pick_device` found: on a GPU each of its tiny steps would be bound by
# launch overhead (Chapter 7), not by arithmetic.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The artist's paintings
#
# Every "painting" is 15 numbers: a parabola $y = a\,x^2 + (a - 1)$ evaluated at 15 evenly spaced
# points of $[-1, 1]$, with $a$ drawn uniformly from $[1, 2]$ for every curve. So all paintings
# lie between the lowest one, $x^2$ ($a = 1$), and the highest, $2x^2 + 1$ ($a = 2$). The artist
# has one secret, $a$; the generator is never told it, it only sees the curves.

# %% slideshow={"slide_type": "-"}
BATCH_SIZE = 64  # Morvan's settings, in both profiles
N_IDEAS = 5  # the length of G's noise vector ("ideas")
ART_COMPONENTS = 15  # the points of one painting
LR_G = LR_D = 1e-4
PAINT_POINTS = torch.linspace(-1, 1, ART_COMPONENTS)  # (15,)


def artist_works(n=BATCH_SIZE):
    """n real paintings (n,15) and their parameters a (n,1), a ~ U(1, 2)."""
    a = 1 + torch.rand(n, 1)  # (n,1)
    return a * PAINT_POINTS**2 + (a - 1), a  # (n,1)*(15,) -> (n,15)


# %% slideshow={"slide_type": "subslide"}
seed_everything(0)
paintings, a_true = artist_works(8)
x = PAINT_POINTS.numpy()
plt.figure(figsize=(6, 3.5))
plt.plot(x, paintings.T.numpy(), color="tab:blue", alpha=0.6)
plt.plot(x, 2 * x**2 + 1, "k--", label="upper bound $2x^2+1$ (a = 2)")
plt.plot(x, x**2, "k:", label="lower bound $x^2$ (a = 1)")
plt.title("Eight paintings by the artist")
plt.legend(loc="upper center")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The generator and the discriminator
#
# Both are Morvan's: G maps 5 random numbers through 128 ReLU units to the 15 points of a
# painting; D maps 15 points through 128 ReLU units to one number, squashed by a sigmoid into
# the probability "painted by the artist".


# %% slideshow={"slide_type": "-"}
def make_painter_gan():
    G = nn.Sequential(  # the generator
        nn.Linear(N_IDEAS, 128),  # (N,5) -> (N,128): random ideas
        nn.ReLU(),
        nn.Linear(128, ART_COMPONENTS),  # (N,128) -> (N,15): a painting
    )
    D = nn.Sequential(  # the discriminator
        nn.Linear(ART_COMPONENTS, 128),  # (N,15) -> (N,128)
        nn.ReLU(),
        nn.Linear(128, 1),  # (N,128) -> (N,1): a score (a logit)
        nn.Sigmoid(),  # (N,1) -> (N,1): probability "real"
    )
    return G, D


# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
torch.manual_seed(0)
G, D = make_painter_gan()
print(G)
print(D)
for name, net in (("G", G), ("D", D)):
    print(f"{name}: {sum(p.numel() for p in net.parameters()):,} parameters")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The two losses
#
# D wants $D(\text{real}) \to 1$ and $D(\text{fake}) \to 0$: it minimises
# $-\big[\log D(\text{real}) + \log(1 - D(\text{fake}))\big]$, the binary cross-entropy with
# labels 1 and 0. G wants the opposite for its fakes; Morvan's G minimises
# $\log(1 - D(G(z)))$, the original "minimax" form of the game.


# %% slideshow={"slide_type": "-"}
def d_loss_fn(prob_real, prob_fake):
    return -torch.mean(torch.log(prob_real) + torch.log(1 - prob_fake))


def g_loss_fn(prob_fake):  # Morvan's: log(1 - D(G(z))), to be minimised
    return torch.mean(torch.log(1 - prob_fake))


# %% [markdown] slideshow={"slide_type": "slide"}
# ## Morvan's step order, and the error it raises today
#
# Morvan's loop computes both losses from one forward pass, then steps D, then runs G's backward
# through the same graph (hence `retain_graph=True`). On current PyTorch the second backward
# fails. We run one step in that order on purpose, catch the error and print its first line.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
G, D = make_painter_gan()
opt_G, opt_D = torch.optim.Adam(G.parameters(), lr=LR_G), torch.optim.Adam(D.parameters(), lr=LR_D)
real, _ = artist_works()
fake = G(torch.randn(BATCH_SIZE, N_IDEAS))  # (64,5) -> (64,15)
prob_real, prob_fake = D(real), D(fake)
D_loss, G_loss = d_loss_fn(prob_real, prob_fake), g_loss_fn(prob_fake)
opt_D.zero_grad()
D_loss.backward(retain_graph=True)  # keep the graph for G's backward
opt_D.step()  # updates D's weights in place...
try:
    opt_G.zero_grad()
    G_loss.backward()  # ...that this graph saved: refused
except RuntimeError as error:
    print(f"{type(error).__name__}: {str(error).splitlines()[0].split(' Hint:')[0]}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why: autograd's version counter
#
# To send G's loss back through D's last layer, autograd needs that layer's weight as it was in the
# forward pass ($\partial(wh)/\partial h = w$), so the graph saved it. Every tensor carries a
# version counter that each in-place operation increments; `opt_D.step()` updated the weights in
# place, and at backward time autograd finds a saved tensor at a later version than it saved and
# refuses: the gradient would mix the old graph with new weights. The `[128, 1]` in the message
# is the transposed weight of `D[2]`, `nn.Linear(128, 1)`: saved at version 1, it is at version 2
# after the optimizer's in-place update.
# Morvan's script was written for torch 0.4, whose optimizers changed `p.data`, which the
# counter does not see; since torch 1.5 they update the parameters themselves (under
# `torch.no_grad()`), and the script stops with this error — issue #89 of
# MorvanZhou/PyTorch-Tutorial.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The fix: G's step first, then D on detached fakes
#
# Step G first, through a D that has not changed yet. Then train D on `fake.detach()`: the fakes
# as plain numbers, cut from G's graph, so D's loss neither reaches G nor needs the old graph
# (no `retain_graph`). One subtlety: `G_loss.backward()` also writes gradients into D's
# parameters (the loss passes through D); `opt_D.zero_grad()` clears them before D's own
# backward, so they never reach D's update.


# %% slideshow={"slide_type": "-"}
def painter_step(G, D, opt_G, opt_D, real):
    """One step in the fixed order; returns D's mean output on the real batch and D's loss."""
    fake = G(torch.randn(len(real), N_IDEAS))  # (64,5) -> (64,15)
    G_loss = g_loss_fn(D(fake))
    opt_G.zero_grad()
    G_loss.backward()
    opt_G.step()
    prob_real = D(real)  # (64,15) -> (64,1)
    D_loss = d_loss_fn(prob_real, D(fake.detach()))  # no gradient flows into G
    opt_D.zero_grad()  # also drops what G_loss.backward() left in D
    D_loss.backward()
    opt_D.step()
    return prob_real.mean().detach(), D_loss.detach()


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Training the painter
#
# Morvan trained for 10,000 steps of 64 real and 64 generated paintings (the full profile does
# the same). The loop keeps two numbers per step for the curves below, as tensors: calling
# `.item()` every step would cost more than the step itself.

# %% slideshow={"slide_type": "-"}
seed_everything(0)
G, D = make_painter_gan()
opt_G = torch.optim.Adam(G.parameters(), lr=LR_G)
opt_D = torch.optim.Adam(D.parameters(), lr=LR_D)
log = torch.zeros(cfg.painter_steps, 2)  # per step: mean D(real), D_loss
start = time.perf_counter()
for step in range(cfg.painter_steps):
    real, _ = artist_works()
    log[step, 0], log[step, 1] = painter_step(G, D, opt_G, opt_D, real)
painter_seconds = time.perf_counter() - start
print(f"{cfg.painter_steps:,} steps in {painter_seconds:.1f} s")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The training curves and Morvan's signs of convergence
#
# Morvan printed two numbers on his plot. "D accuracy" was D's mean output on the real paintings;
# it should go to 0.5, for when G paints like the artist the best D can do is answer ½ for
# everything. "D score" was $-$D_loss, which then goes to $2 \ln 0.5 \approx -1.386$ (D's loss is
# $-[\log \tfrac12 + \log \tfrac12]$). Both curves below are averaged over 100 steps.


# %% slideshow={"slide_type": "-"} tags=["slides-output-subslide"]
def smooth(values, width=100):
    return values.unfold(0, width, width).mean(1)  # the mean of every block of `width` steps


steps_axis = torch.arange(len(smooth(log[:, 0]))) * 100 + 50
figure, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].plot(steps_axis, smooth(log[:, 0]), label="mean D(real)")
axes[0].axhline(0.5, color="k", ls="--", label="0.5")
axes[1].plot(steps_axis, smooth(-log[:, 1]), color="tab:orange", label="$-$D_loss")
axes[1].axhline(2 * math.log(0.5), color="k", ls="--", label="2 ln 0.5")
for axis in axes:
    axis.set_xlabel("step")
    axis.legend()
plt.show()

# %% slideshow={"slide_type": "fragment"}
last = log[-1000:].mean(0)  # the last 1,000 steps
d_real_end, d_score_end = last[0].item(), -last[1].item()
print(
    f"last 1,000 steps: mean D(real) {d_real_end:.3f} (-> 0.5), "
    f"-D_loss {d_score_end:.3f} (-> {2 * math.log(0.5):.3f})"
)
close = 0.05 if cfg.profile == "full" else 0.2  # a short run is still on its way
assert abs(d_real_end - 0.5) < close and abs(d_score_end - 2 * math.log(0.5)) < 2 * close

# %% [markdown] slideshow={"slide_type": "fragment"}
# Both signs are there (the output above). But they say only that D has stopped telling the two
# apart — which also happens when *D* is poor, not only when G is good. To know whether G paints
# like the artist, we look at the paintings themselves.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Did it work? Fit the artist's parameter to every painting
#
# A real painting is $y = a(x^2 + 1) - 1$: with $u = x^2 + 1$, $y + 1 = a\,u$ is a line through the
# origin in $u$, and least squares gives $a$ in closed form, $\hat a = \sum u\,(y + 1) / \sum u^2$.
# For a generated curve the fit says which $a$ it resembles, and the residual (root mean square
# of $y - \hat a u + 1$) how far it is from being a parabola of the family at all.

# %% slideshow={"slide_type": "-"}
U = PAINT_POINTS**2 + 1  # (15,)


def fit_a(curves):
    """Least-squares a of every curve (N,15) -> (N,), and the RMS residual (N,)."""
    a = (curves + 1) @ U / (U @ U)  # (N,15) @ (15,) -> (N,)
    residual = (curves - (a[:, None] * U - 1)).pow(2).mean(1).sqrt()  # (N,)
    return a, residual


# %% [markdown] slideshow={"slide_type": "fragment"}
# First a check on curves whose $a$ we know: the fit must give back exactly those values, with a
# residual of zero (to float32 rounding).

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
known = torch.tensor([1.0, 1.25, 1.5, 1.75, 2.0])
curves = known[:, None] * PAINT_POINTS**2 + (known[:, None] - 1)  # (5,15)
fitted, residual = fit_a(curves)
print("fitted a:", [round(v, 4) for v in fitted.tolist()])
print("largest residual below 1e-6:", bool(residual.max() < 1e-6))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The generated $a$ against U(1, 2)
#
# Now 2,000 paintings from the trained G. If G learned the artist, the fitted values should be
# spread like U(1, 2): mean 1.5, standard deviation $1/\sqrt{12} \approx 0.289$, all inside
# $[1, 2]$. A generator that paints one good curve over and over (mode collapse) would pass the
# mean and fail the standard deviation. For comparison, the same numbers for an untrained G.


# %% slideshow={"slide_type": "-"}
def a_stats(generator, n=2000, label=None):
    """Fitted-a statistics of n paintings by `generator` (with `label`, a conditional one)."""
    with torch.no_grad():
        z = torch.randn(n, N_IDEAS)
        curves = generator(z if label is None else torch.cat([z, label.expand(n, 1)], 1))
    a, residual = fit_a(curves)
    inside = ((a >= 1) & (a <= 2)).float().mean().item()
    return {
        "mean": a.mean().item(),
        "sd": a.std().item(),
        "inside": inside,
        "residual": residual.mean().item(),
        "a": a,
        "curves": curves,
    }


# %% slideshow={"slide_type": "subslide"}
torch.manual_seed(1)
stats = a_stats(G)
untrained = a_stats(make_painter_gan()[0])
print("U(1, 2):   mean 1.500, sd 0.289, inside [1, 2] 100%, residual 0")
for name, s in (("trained", stats), ("untrained", untrained)):
    print(
        f"{name:<10} mean {s['mean']:.3f}, sd {s['sd']:.3f}, inside [1, 2] "
        f"{s['inside']:.0%}, residual {s['residual']:.3f}"
    )
if cfg.profile == "full":  # Morvan's 10,000 steps
    assert abs(stats["mean"] - 1.5) < 0.1 and stats["inside"] > 0.75, stats["mean"]
assert stats["residual"] < untrained["residual"] / 2 and abs(stats["mean"] - 1.5) < 0.3

# %% slideshow={"slide_type": "subslide"} tags=["slides-output-subslide"]
figure, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].hist(stats["a"].numpy(), bins=40, range=(0.5, 2.5), density=True, label="generated")
axes[0].plot([1, 1, 2, 2], [0, 1, 1, 0], "k--", label="U(1, 2)")
axes[0].set_xlabel("fitted a")
axes[0].legend()
real_curves, _ = artist_works(20)
axes[1].plot(x, real_curves.T.numpy(), color="tab:blue", alpha=0.4)
axes[1].plot(x, stats["curves"][:20].T.numpy(), color="tab:green", alpha=0.6)
axes[1].plot([], [], color="tab:blue", label="artist (real)")
axes[1].plot([], [], color="tab:green", label="G (generated)")
axes[1].plot(x, 2 * x**2 + 1, "k--", x, x**2, "k:")
axes[1].legend(loc="upper center")
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# In this run (the output above) the mean is 1.498 and the residual 0.038, about a ninth of the
# untrained G's 0.329: the generated curves are parabolas of the artist's family, centred where
# they should be. The histogram is less flattering than the mean. G paints the lower middle of
# the range too often (the tallest bars), and 8 % of its curves fall outside $[1, 2]$, most of them
# above 2 — steeper than anything the artist paints. The standard deviation, 0.305, is close to
# U(1, 2)'s 0.289 only because that tail makes up for the crowded middle: no collapse here, but
# not a uniform distribution either. A collapsed G would show a standard deviation near 0
# (Exercise 2). Morvan's two convergence signs cannot tell any of these cases apart.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same code in `course_utils.painter`
#
# `make reproduce` trains the painter over three seeds with the book's copy of this section's
# code (`make_painter_gan`, `painter_step`, `fit_a`, `a_stats`, and `train_painter`, the training
# loop above). From the same seed it must paint with the same weights and fit the same `a`.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
from course_utils import painter

library_a, _ = painter.fit_a(stats["curves"])
print("same fitted a:", torch.equal(library_a, stats["a"]))
torch.manual_seed(1)
print("same statistics:", painter.a_stats(G).mean == stats["mean"])
library_G, _ = painter.train_painter(seed=0, steps=50)
seed_everything(0)  # ours: the loop above, 50 steps
G50, D50 = make_painter_gan()
opt_G50, opt_D50 = (torch.optim.Adam(n.parameters(), lr=LR_G) for n in (G50, D50))
for _ in range(50):
    painter_step(G50, D50, opt_G50, opt_D50, artist_works()[0])
same = all(map(torch.equal, G50.parameters(), library_G.parameters()))
print("same weights after 50 steps:", same)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Which loss for G? Saturating, non-saturating, and logits
#
# Morvan's G minimises $\log(1 - D(G(z)))$. Write $D = \sigma(\ell)$ with $\ell$ D's logit: the
# derivative of $\log(1 - \sigma(\ell))$ with respect to $\ell$ is $-\sigma(\ell) = -D$. When D
# confidently rejects a fake ($D \to 0$), the gradient that reaches G vanishes: the loss
# *saturates* exactly when G most needs to learn. The **non-saturating** loss $-\log D(G(z))$ has
# the same goal, and derivative $-(1 - D)$, close to $-1$ there. Goodfellow et al. (2014)
# proposed it for this reason, and it is what most GANs use.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
logit = torch.tensor([-8.0, -4.0, 0.0, 4.0], requires_grad=True)  # D's logit for a fake
for name, loss in (
    ("saturating log(1 - D)", torch.log(1 - torch.sigmoid(logit))),
    ("non-saturating -log D", -torch.log(torch.sigmoid(logit))),
):
    (grad,) = torch.autograd.grad(loss.sum(), logit)
    print(f"{name:<22} d loss / d logit: {[round(v, 4) for v in grad.tolist()]}")
print("D(fake) at these logits:", [round(v, 4) for v in torch.sigmoid(logit).tolist()])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Measured: the gradient that reaches G when D is confident
#
# Take an untrained G and let D alone train against it for 300 steps, until it rejects G's
# curves with confidence. Then compute the gradient of each G loss with respect to G's weights.

# %% slideshow={"slide_type": "-"}
torch.manual_seed(0)
G0, D0 = make_painter_gan()
opt_D0 = torch.optim.Adam(D0.parameters(), lr=1e-3)
for _ in range(300):  # D only; G is frozen
    real, _ = artist_works()
    loss = d_loss_fn(D0(real), D0(G0(torch.randn(BATCH_SIZE, N_IDEAS)).detach()))
    opt_D0.zero_grad()
    loss.backward()
    opt_D0.step()

# %% slideshow={"slide_type": "fragment"}
prob_fake = D0(G0(torch.randn(1000, N_IDEAS)))  # (1000,1)
for name, g_loss in (
    ("saturating", g_loss_fn(prob_fake)),
    ("non-saturating", -torch.log(prob_fake).mean()),
):
    grads = torch.autograd.grad(g_loss, list(G0.parameters()), retain_graph=True)
    print(f"{name:<15} |grad of G| = {torch.cat([g.flatten() for g in grads]).norm():.2e}")
print(f"mean D(fake) = {prob_fake.mean():.4f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The ratio of the two norms (output above) is roughly $1/D(\text{fake})$ — here about 155,
# against $1/0.0069 \approx 145$: against a confident D, the saturating loss hands G a gradient
# that many times weaker.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Logits instead of a log of a sigmoid
#
# Morvan's D ends in `nn.Sigmoid` and the losses take `torch.log` of its output. In float32,
# $\sigma(\ell)$ rounds to exactly 1 once $\ell$ passes about 17 (and to 0 below about $-88$,
# where $e^{-\ell}$ overflows); $\log(1 - \sigma(\ell))$ is then $-\infty$ and its gradient NaN.
# `nn.BCEWithLogitsLoss` (and `F.binary_cross_entropy_with_logits`) takes the logit and computes
# the same loss in a form that never takes the log of a rounded probability. Below, D's loss on a
# fake it wrongly scores as real, $-\log(1 - \sigma(\ell))$, both ways.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
logit = torch.tensor([0.0, 10.0, 16.0, 17.0, 20.0], requires_grad=True)  # D's logit for a fake
naive = -torch.log(1 - torch.sigmoid(logit))  # D's loss on a fake, from a probability
stable = F.binary_cross_entropy_with_logits(logit, torch.zeros(5), reduction="none")
for name, loss in (("log of sigmoid", naive), ("with logits", stable)):
    (grad,) = torch.autograd.grad(loss.sum(), logit)
    print(f"{name:<15} loss {[round(v, 3) for v in loss.tolist()]}")
    print(f"{'':<15} grad {[round(v, 3) for v in grad.tolist()]}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The three variants after equal training
#
# Same seed, same networks, same number of steps; only the losses change. With logits, D is
# Morvan's D without its last layer — `D[:-1]`, a view of the same modules — and both losses are
# `BCEWithLogitsLoss` (G's with target 1: the non-saturating loss).

# %% slideshow={"slide_type": "-"}
bce = nn.BCEWithLogitsLoss()
VARIANTS = {  # name: (G's loss, D's loss), each from D and a batch of fakes/reals
    "saturating (Morvan)": (lambda D, f: g_loss_fn(D(f)), lambda D, r, f: d_loss_fn(D(r), D(f))),
    "non-saturating": (lambda D, f: -torch.log(D(f)).mean(), lambda D, r, f: d_loss_fn(D(r), D(f))),
    "non-sat., logits": (
        lambda D, f: bce(D[:-1](f), torch.ones(len(f), 1)),
        lambda D, r, f: (
            bce(D[:-1](r), torch.ones(len(r), 1)) + bce(D[:-1](f), torch.zeros(len(f), 1))
        ),
    ),
}


# %% slideshow={"slide_type": "subslide"}
def train_variant(g_loss, d_loss, steps, seed=0):
    seed_everything(seed)
    G, D = make_painter_gan()
    opt_G, opt_D = (torch.optim.Adam(n.parameters(), lr=1e-4) for n in (G, D))
    for _ in range(steps):
        real, _ = artist_works()
        fake = G(torch.randn(BATCH_SIZE, N_IDEAS))
        opt_G.zero_grad()
        g_loss(D, fake).backward()
        opt_G.step()
        opt_D.zero_grad()
        d_loss(D, real, fake.detach()).backward()
        opt_D.step()
    return G


# %% slideshow={"slide_type": "subslide"}
start = time.perf_counter()
compared = {}
for name, (g_loss, d_loss) in VARIANTS.items():
    torch.manual_seed(1)
    compared[name] = a_stats(train_variant(g_loss, d_loss, cfg.compare_steps))
    s = compared[name]
    print(
        f"{name:<20} mean a {s['mean']:.3f}, sd {s['sd']:.3f}, inside {s['inside']:.0%}, "
        f"residual {s['residual']:.3f}"
    )
print(f"{len(VARIANTS)} x {cfg.compare_steps:,} steps in {time.perf_counter() - start:.0f} s")
assert all(s["residual"] < untrained["residual"] for s in compared.values())

# %% [markdown] slideshow={"slide_type": "fragment"}
# After 3,000 steps from the same start (the output above), the three generators spread $a$
# alike (sd 0.297, 93 % inside $[1, 2]$), but the saturating loss leaves its curves twice as
# far from the family: a residual of 0.104, against 0.051 with the non-saturating loss. Slowed, not
# stalled: at Morvan's learning rate of 1e-4 his D is never as confident as the D of the
# measurement above (its mean output on real curves peaked near 0.7 in the training curves), so
# the saturating gradient stays usable. The two non-saturating variants are one loss computed two
# ways, and they agree to the third decimal (0.051 and 0.050): no logit here comes near the
# float32 limits of the cell before. `BCEWithLogitsLoss` is the insurance for when one does, as
# it will in a GAN whose D wins decisively.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A conditional GAN: asking for a class
#
# Morvan's `406_conditional_GAN.py` gives every painting a label: 1 for the upper curves
# ($a > 1.5$), 0 for the lower ones. The label is appended to G's noise and to the painting D
# sees, so G learns to paint the class it is asked for and D judges "real *for this label*".
# Its script still has the old step order — it stops with the same in-place error (issue #98 of
# MorvanZhou/PyTorch-Tutorial, open); we train it with the fixed order.


# %% slideshow={"slide_type": "-"}
def artist_works_with_labels(n=BATCH_SIZE):
    paintings, a = artist_works(n)  # (n,15), (n,1)
    return paintings, (a > 1.5).float()  # label (n,1): 1 = upper class


# %% slideshow={"slide_type": "fragment"}
def make_conditional_gan():
    G = nn.Sequential(
        nn.Linear(N_IDEAS + 1, 128),  # (N,5+1) -> (N,128): ideas and the label
        nn.ReLU(),
        nn.Linear(128, ART_COMPONENTS),  # (N,128) -> (N,15)
    )
    D = nn.Sequential(
        nn.Linear(ART_COMPONENTS + 1, 128),  # (N,15+1) -> (N,128): painting and label
        nn.ReLU(),
        nn.Linear(128, 1),  # (N,128) -> (N,1)
        nn.Sigmoid(),  # (N,1) -> (N,1)
    )
    return G, D


# %% [markdown] slideshow={"slide_type": "subslide"}
# The step is the fixed one of the painter, with the label concatenated (`torch.cat(..., 1)`,
# along the feature dimension) to every input of G and of D.


# %% slideshow={"slide_type": "-"}
def conditional_step(G, D, opt_G, opt_D, real, labels):
    fake = G(torch.cat([torch.randn(len(real), N_IDEAS), labels], 1))  # (64,6) -> (64,15)
    G_loss = g_loss_fn(D(torch.cat([fake, labels], 1)))  # (64,16) -> (64,1)
    opt_G.zero_grad()
    G_loss.backward()
    opt_G.step()
    prob_real = D(torch.cat([real, labels], 1))  # (64,16) -> (64,1)
    D_loss = d_loss_fn(prob_real, D(torch.cat([fake.detach(), labels], 1)))
    opt_D.zero_grad()
    D_loss.backward()
    opt_D.step()
    return prob_real.mean().detach(), D_loss.detach()


# %% slideshow={"slide_type": "subslide"}
seed_everything(0)
G_c, D_c = make_conditional_gan()
opt_Gc = torch.optim.Adam(G_c.parameters(), lr=LR_G)
opt_Dc = torch.optim.Adam(D_c.parameters(), lr=LR_D)
log_c = torch.zeros(cfg.cgan_steps, 2)  # per step: mean D(real), D_loss
start = time.perf_counter()
for step in range(cfg.cgan_steps):
    real, labels = artist_works_with_labels()
    log_c[step, 0], log_c[step, 1] = conditional_step(G_c, D_c, opt_Gc, opt_Dc, real, labels)
d_real_c, d_loss_c = log_c[-1000:].mean(0).tolist()
print(
    f"{cfg.cgan_steps:,} steps in {time.perf_counter() - start:.1f} s; last 1,000 steps: "
    f"mean D(real) {d_real_c:.3f}, -D_loss {-d_loss_c:.3f}"
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Each class against its true range
#
# Class 0 must have $a \in [1, 1.5]$ and class 1 $a \in [1.5, 2]$. We ask G for 2,000 paintings
# of each class and fit $a$ to each.

# %% slideshow={"slide_type": "-"}
torch.manual_seed(2)
per_class = {c: a_stats(G_c, label=torch.tensor([[float(c)]])) for c in (0, 1)}
for c, (low, high) in ((0, (1.0, 1.5)), (1, (1.5, 2.0))):
    a = per_class[c]["a"]
    in_range = ((a >= low) & (a <= high)).float().mean().item()
    per_class[c]["in_range"] = in_range
    print(
        f"class {c} (true a in [{low}, {high}], mean {(low + high) / 2}): mean {a.mean():.3f}, "
        f"sd {a.std():.3f}, in its range {in_range:.0%}, "
        f"residual {per_class[c]['residual']:.3f}"
    )
assert per_class[1]["mean"] > per_class[0]["mean"]  # G draws the class it is asked for
if cfg.profile == "full":
    assert per_class[0]["in_range"] > 0.5 and per_class[1]["in_range"] > 0.5

# %% slideshow={"slide_type": "subslide"}
CLASSES = ((0, "tab:orange", (1.0, 1.5)), (1, "tab:green", (1.5, 2.0)))
plt.figure(figsize=(6, 3.5))
for c, colour, (low, high) in CLASSES:
    a = per_class[c]["a"].numpy()
    plt.hist(a, bins=60, range=(0.75, 2.25), color=colour, alpha=0.6, label=f"class {c}")
    plt.axvspan(low, high, color=colour, alpha=0.1)
plt.xlabel("fitted a (shaded: each class's true range)")
plt.legend()
plt.show()

# %% slideshow={"slide_type": "subslide"} tags=["slides-output-subslide"]
figure, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for (c, colour, (low, high)), axis in zip(CLASSES, axes, strict=True):
    axis.plot(x, per_class[c]["curves"][:15].T.numpy(), color=colour, alpha=0.6)
    axis.plot(x, high * x**2 + high - 1, "k--", label=f"true bounds, a = {low} and {high}")
    axis.plot(x, low * x**2 + low - 1, "k--")
    drawn = (2 * x**2 + 0.5, x**2) if c == 0 else (2 * x**2 + 1, x**2 + 0.5)
    axis.plot(x, drawn[0], "r:", label="the bounds Morvan drew")
    axis.plot(x, drawn[1], "r:")
    axis.set_title(f"G asked for class {c}")
    axis.legend(loc="upper center", fontsize=8)
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Morvan's plot drew the bounds as $x^2 + \text{lo}$ and $2x^2 + \text{hi}$ with (lo, hi) = (0, 0.5)
# or (0.5, 1): right only at $x = 0$. The true envelope of class 1 has the lower bound
# $1.5x^2 + 0.5$ (not $x^2 + 0.5$), and class 0 the upper bound $1.5x^2 + 0.5$ (not $2x^2 + 0.5$):
# the two classes meet along one curve, the painting with $a = 1.5$.
#
# In this run (the output above) each class sits in its own range: class 0 has mean 1.223 with
# 98 % of its curves in $[1, 1.5]$, class 1 mean 1.762 with 98 % in $[1.5, 2]$, and the two
# histograms barely overlap at 1.5. Each class is narrower than its range, though: a uniform
# distribution over a range of width 0.5 has standard deviation $0.5/\sqrt{12} \approx 0.144$, and
# the classes show 0.114 and 0.089 — class 1 crowds around 1.75 and is thin near both ends of
# its range. As with the painter, G matches the centre of what it imitates better than the edges.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Going further: a GAN that draws digits
#
# The same game works on images. Our generator maps 64 random numbers to the 784 pixels of an
# MNIST digit; D is a multi-layer perceptron on the 784 pixels. The images are scaled to
# $[-1, 1]$ (`Normalize(0.5, 0.5)`, Chapter 5) to match G's final `Tanh`. Three changes from the
# painter, each common practice: the non-saturating loss with logits (the section above),
# `LeakyReLU` (a small slope for negative inputs, so D passes gradient everywhere), and Adam with
# $\beta_1 = 0.5$ and learning rate $2 \cdot 10^{-4}$, the setting of Radford et al. (2015).

# %% slideshow={"slide_type": "-"}
from course_utils.data import mnist, standin_notice
from course_utils.fastpath import TensorBatches, as_tensors

train_set, test_set = mnist(train=True), mnist(train=False)
ON_STANDIN = standin_notice(train_set)  # prints a NOTICE on the offline stand-in
n_images = min(cfg.mnist_images, len(train_set))
digits, _ = as_tensors(train_set, (0.5,), (0.5,), device)  # pixels in [-1, 1]
digits = digits[:n_images].flatten(1)  # (N,1,28,28) -> (N,784)
print(f"{n_images:,} training digits, pixels in [{digits.min():.0f}, {digits.max():.0f}]")

# %% slideshow={"slide_type": "subslide"}
NOISE = 64
torch.manual_seed(0)
G_img = nn.Sequential(
    nn.Linear(NOISE, 256),  # (N,64) -> (N,256)
    nn.LeakyReLU(0.2),
    nn.Linear(256, 512),  # (N,256) -> (N,512)
    nn.LeakyReLU(0.2),
    nn.Linear(512, 784),  # (N,512) -> (N,784)
    nn.Tanh(),  # (N,784): pixels in [-1, 1]
).to(device)

# %% slideshow={"slide_type": "fragment"}
D_img = nn.Sequential(
    nn.Linear(784, 512),  # (N,784) -> (N,512)
    nn.LeakyReLU(0.2),
    nn.Linear(512, 256),  # (N,512) -> (N,256)
    nn.LeakyReLU(0.2),
    nn.Linear(256, 1),  # (N,256) -> (N,1): a logit, for BCEWithLogitsLoss
).to(device)
for name, net in (("G", G_img), ("D", D_img)):
    print(f"{name}: {sum(p.numel() for p in net.parameters()):,} parameters")

# %% slideshow={"slide_type": "subslide"}
IMG_BATCH = 128
opt_Gi, opt_Di = (
    torch.optim.Adam(n.parameters(), lr=2e-4, betas=(0.5, 0.999)) for n in (G_img, D_img)
)
real_target = torch.ones(IMG_BATCH, 1, device=device)
fake_target = torch.zeros(IMG_BATCH, 1, device=device)


def image_gan_step(real):
    fake = G_img(torch.randn(len(real), NOISE, device=device))  # (128,64) -> (128,784)
    G_loss = bce(D_img(fake), real_target)  # non-saturating: G wants "real"
    opt_Gi.zero_grad()
    G_loss.backward()
    opt_Gi.step()
    D_loss = bce(D_img(real), real_target) + bce(D_img(fake.detach()), fake_target)
    opt_Di.zero_grad()
    D_loss.backward()
    opt_Di.step()


# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(0)
start = time.perf_counter()
for _ in range(cfg.mnist_steps):
    image_gan_step(digits[torch.randint(0, n_images, (IMG_BATCH,), device=device)])  # (128,784)
print(f"{cfg.mnist_steps:,} steps of {IMG_BATCH} digits in {time.perf_counter() - start:.0f} s")

# %% slideshow={"slide_type": "subslide"}
from course_utils.plots import show_images

torch.manual_seed(3)
with torch.no_grad():
    G_img.eval()
    samples = G_img(torch.randn(1000, NOISE, device=device)).view(-1, 1, 28, 28).cpu()
show_images(samples[:32], mean=(0.5,), std=(0.5,))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Judging the digits with Chapter 8's ConvNet
#
# Looking is not measuring. Chapter 8's ConvNet, `course_utils.models.MnistConvNet`, is trained
# here with `fit` on the real training digits (normalised as in Chapter 8) and checked on the test
# set. Then it reads the generated digits: how many does it classify with confidence (top
# probability above 0.9), and are all ten digits among them?

# %% slideshow={"slide_type": "-"}
from course_utils.models import MnistConvNet
from course_utils.training import evaluate, fit

MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
generator = seed_everything(0)
x_train, y_train = as_tensors(train_set, MNIST_MEAN, MNIST_STD, device)
x_test, y_test = as_tensors(test_set, MNIST_MEAN, MNIST_STD, device)
train_batches = TensorBatches(x_train[:n_images], y_train[:n_images], 512, True, generator)

# %% slideshow={"slide_type": "fragment"}
judge = MnistConvNet().to(device)
optimizer = torch.optim.Adam(judge.parameters())
judge_epochs = cfg.judge_epochs * (5 if ON_STANDIN else 1)  # the stand-in: 3 batches an epoch
fit(judge, train_batches, optimizer, F.nll_loss, judge_epochs, device, progress=False)
judge_accuracy = evaluate(judge, TensorBatches(x_test, y_test, 1000), device=device)["accuracy"]
print(f"the judge's test accuracy: {judge_accuracy:.2%}")
assert judge_accuracy > (0.97 if not ON_STANDIN and cfg.profile == "full" else 0.3)


# %% slideshow={"slide_type": "subslide"}
def judge_digits(images):
    """Top probability and predicted digit of the judge for images (N,1,28,28) in [-1, 1]."""
    with torch.no_grad():
        judge.eval()
        pixels = (images.to(device) + 1) / 2  # [-1, 1] -> [0, 1]
        probs = judge((pixels - MNIST_MEAN[0]) / MNIST_STD[0]).exp()  # log-probs -> probs
    confidence, predicted = probs.max(dim=1)
    return confidence.cpu(), predicted.cpu()


# %% slideshow={"slide_type": "fragment"}
confidence, predicted = judge_digits(samples)
real_confidence, _ = judge_digits(x_test[:1000] * MNIST_STD[0] * 2 + MNIST_MEAN[0] * 2 - 1)
confident = confidence > 0.9
print(
    f"confident (p > 0.9): generated {confident.float().mean():.1%}, "
    f"real test digits {(real_confidence > 0.9).float().mean():.1%}"
)
counts = torch.bincount(predicted[confident], minlength=10)
print("confident predictions per digit:", counts.tolist())

# %% slideshow={"slide_type": "subslide"}
plt.figure(figsize=(6, 3))
plt.bar(range(10), counts.numpy())
plt.xticks(range(10))
plt.xlabel("digit the judge sees (confident only)")
plt.ylabel("generated images")
plt.show()
REAL_FULL_RUN = not ON_STANDIN and cfg.profile == "full"
if REAL_FULL_RUN:
    assert confident.float().mean() > 0.1 and (counts > 0).sum() >= 5, counts.tolist()
assert samples.min() >= -1 and samples.max() <= 1  # Tanh: valid pixels in every run

# %% [markdown] slideshow={"slide_type": "subslide"}
# The grid above looks like handwriting, but noisy: speckled backgrounds, broken strokes, and
# several blobs nobody would name. The judge agrees. It is confident on 21.4 % of the 1,000
# generated digits, against 89.2 % of 1,000 real test digits; and the confident ones are far from
# an even mix (the counts above: only 2s, 3s, 4s, 7s and 8s, most of them 4s and 3s). The digits
# 0, 1, 5, 6 and 9 are never recognised with confidence: **not all ten digits appear**. That is
# partial mode collapse, the classic failure of a small GAN trained briefly; in trial runs while
# this chapter was written, the favoured digits changed from one checkpoint to the next instead
# of spreading out. Convolutional generators (DCGAN), longer training and feeding the label as
# in the conditional GAN above are the usual remedies; a minute or two of an MLP on two CPU
# cores gets this far, and the judge says exactly how far.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A GAN trains two networks against each other: G maps noise to samples, D scores samples as
#   real or generated; G learns only through D's gradient.
# - Step G first, then D on `fake.detach()`. Morvan's order (D's step, then G's backward through
#   the graph of the old D) is refused since torch 1.5: the optimizer changed, in place, weights
#   the graph had saved.
# - D(real) → 0.5 and −D_loss → 2 ln 0.5 only say that D cannot tell the samples apart. Measure
#   the samples: here, a least-squares fit of the artist's parameter to every painting, and the
#   spread of the fitted values — the standard deviation is where a collapsing G shows.
# - Prefer the non-saturating G loss $-\log D(G(z))$ and `BCEWithLogitsLoss` on logits to a log of
#   a sigmoid.
# - A conditional GAN feeds the label to both networks; check each class against its own range.
# - On images, a trained classifier is a cheap judge: how many samples it recognises with
#   confidence, and whether every class appears.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Solutions are hidden below each exercise (click to expand in JupyterLab). Try first.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 1 — the fit, by a library.** Fit $a$ to the 2,000 generated paintings of `stats`
# with `torch.linalg.lstsq` (solve $u \cdot a = y + 1$ for each curve) and check that it agrees
# with `fit_a` to within 1e-4.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
curves = stats["curves"]  # (2000,15)
A = U[:, None]  # (15,1): one column, u = x^2 + 1
solution = torch.linalg.lstsq(A, (curves + 1).T).solution  # (1,2000)
a_lstsq = solution[0]
a_closed, _ = fit_a(curves)
print(f"largest difference: {(a_lstsq - a_closed).abs().max():.2e}")
assert torch.allclose(a_lstsq, a_closed, atol=1e-4)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 — a collapsed generator.** Write a "generator" that ignores its noise and always
# paints the curve with $a = 1.5$. Compute its fitted-$a$ statistics with `a_stats`. Which
# numbers look perfect, and which one gives it away? Would Morvan's two convergence signs catch
# it against a D that cannot tell this curve from real ones?


# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
class Collapsed(nn.Module):
    def forward(self, z):  # (N,5) -> (N,15): the same painting for every z
        return (1.5 * PAINT_POINTS**2 + 0.5).expand(len(z), ART_COMPONENTS)


collapsed = a_stats(Collapsed())
print(
    f"mean {collapsed['mean']:.3f}, sd {collapsed['sd']:.3f}, inside {collapsed['inside']:.0%},"
    f" residual {collapsed['residual']:.3f}"
)
# Mean, in-range share and residual are perfect; the sd of 0 (against 0.289) gives it away.
# D(real) and -D_loss say only how well D separates the two sets, so they cannot catch it.
assert abs(collapsed["mean"] - 1.5) < 1e-5 and collapsed["sd"] < 1e-5

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 — the judge on the real digits.** How often is the judge confident (top
# probability above 0.9) on all 10,000 real test digits, and how often is it right when it is?
# Compare with its confidence on the generated digits above. Check that on real digits it is
# right at least 90 % of the times it is confident (on the full real data; in a short run or on
# the stand-in, at least half the time).

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
with torch.no_grad():
    judge.eval()
    probs = judge(x_test).exp()  # (10000,10)
top, guess = probs.max(dim=1)
sure = top > 0.9
right_when_sure = (guess[sure] == y_test[sure]).float().mean().item()
print(
    f"confident on {sure.float().mean():.1%} of the real test digits, right on "
    f"{right_when_sure:.1%} of those; on the generated digits: {confident.float().mean():.1%}"
)
assert sure.any() and right_when_sure >= (0.9 if REAL_FULL_RUN else 0.5)
