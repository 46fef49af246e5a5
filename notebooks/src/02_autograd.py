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
# # Chapter 2 — Autograd: derivatives for free
#
# Training a network means nudging its parameters downhill on a loss, and for that we need the
# derivative of the loss with respect to every parameter. PyTorch's `torch.autograd` computes
# those derivatives for us: while our code runs, it records which operations produced which
# tensors, and on request it walks that record backwards, applying the chain rule.
#
# This chapter covers how to switch tracking on (`requires_grad`), what gets recorded (`grad_fn`,
# the graph), what `.backward()` really computes (vector–Jacobian products), how to stop tracking,
# forward-mode versus reverse-mode differentiation, how to write an operator with its own
# derivative, and finally a line fitted by plain gradient descent.

# %% slideshow={"slide_type": "skip"}
import math
import warnings

import matplotlib.pyplot as plt
import torch

from course_utils.device import seed_everything
from course_utils.profile import settings

cfg = settings("02")
seed_everything(0)
print(f"profile: {cfg.profile} (fit_steps={cfg.fit_steps}, gradcheck_size={cfg.gradcheck_size})")

# %% [markdown] slideshow={"slide_type": "notes"}
# Draw the graph of a tiny expression, such as `y = (x + 2) * 3`, on the board before the first
# slide, with one node per operation; `grad_fn` and `next_functions` later print exactly that
# graph. Students who know the chain rule on paper usually need this picture once.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Tracking operations: `requires_grad`, `grad_fn`, `.backward()`
#
# A tensor created with `requires_grad=True` asks autograd to record every operation that uses
# it. Such a tensor, made by us rather than by an operation, is a *leaf* of the graph: its
# `grad_fn` is `None`, and after a backward pass its derivative lands in its `.grad` attribute.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
x = torch.ones(2, 2, requires_grad=True)
print(x)
print("leaf:", x.is_leaf, "| grad_fn:", x.grad_fn, "| grad:", x.grad)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Every result computed from `x` remembers the operation that made it in `grad_fn`, an object
# whose class name tells the operation (`AddBackward0` for `+`). The study notes say that tensors
# we create ourselves "have no `grad_fn` attribute"; they do have it, its value is `None`.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
y = x + 2
z = y * y * 3
out = z.mean()
print(y)
print(z)
print(out)

# %% [markdown] slideshow={"slide_type": "subslide"}
# `out` is a scalar, so `out.backward()` needs no argument: it computes $\partial o/\partial x$
# and stores it in `x.grad`. What should we get? Call the output $o$. With $y_i = x_i + 2$ and
# $z_i = 3y_i^2$, the mean over the four entries is
#
# $$o = \frac{1}{4}\sum_{i=1}^{4} 3\,(x_i + 2)^2,
# \qquad
# \frac{\partial o}{\partial x_i} = \frac{1}{4}\cdot 3 \cdot 2\,(x_i + 2) = \frac{3}{2}(x_i + 2),$$
#
# and at $x_i = 1$ this is $\frac{3}{2}\cdot 3 = 4.5$. All the operations involved are exact in
# floating point here, so we may compare with `torch.equal`, not just "close enough".

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
out.backward()
print(x.grad)
expected = 1.5 * (x.detach() + 2)  # 3/2 (x + 2)
assert torch.equal(x.grad, expected) and torch.equal(x.grad, torch.full((2, 2), 4.5))
print("x.grad equals 3/2 (x + 2) = 4.5 in every entry:", torch.equal(x.grad, expected))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Switching tracking on later: `requires_grad_()`
#
# `requires_grad` is `False` by default. The in-place method `requires_grad_()` (trailing
# underscore: it changes the tensor itself) turns it on for an existing tensor. Operations done
# *before* that are not recorded, so the tensor stays a leaf with `grad_fn = None`; operations
# done after it are. An operation's result requires grad as soon as any input does. (The notes
# print `b.grad_fn` itself, which shows a memory address that changes on every run; we print
# only its class name.)

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(0)
a = torch.randn(2, 2)
a = (a * 3) / (a - 1)
print("before:", a.requires_grad, a.grad_fn)
a.requires_grad_()
print("after: ", a.requires_grad, a.grad_fn)
b = (a * a).sum()
print("b.grad_fn:", type(b.grad_fn).__name__)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What `.backward()` computes: vector–Jacobian products
#
# For a function $\vec y = f(\vec x)$ from $\mathbb{R}^n$ to $\mathbb{R}^m$, all first
# derivatives form the $m \times n$ **Jacobian matrix** (the notes call it 雅可比行列式,
# "Jacobian determinant"; it is a matrix, and no determinant is involved):
#
# $$J = \begin{pmatrix}
# \frac{\partial y_1}{\partial x_1} & \cdots & \frac{\partial y_1}{\partial x_n}\\
# \vdots & \ddots & \vdots\\
# \frac{\partial y_m}{\partial x_1} & \cdots & \frac{\partial y_m}{\partial x_n}
# \end{pmatrix}.$$
#
# Autograd never builds $J$. Given a vector $v \in \mathbb{R}^m$, it computes the
# **vector–Jacobian product** $v^\top J$, one entry per input, by walking the graph backwards.
# Why is that the right primitive? Suppose $\vec y$ feeds a scalar loss $l = g(\vec y)$ and $v$
# holds $\partial l / \partial y_j$. The chain rule gives exactly
#
# $$\frac{\partial l}{\partial x_i} = \sum_j \frac{\partial l}{\partial y_j}
# \frac{\partial y_j}{\partial x_i} = (v^\top J)_i .$$
#
# So `y.backward(v)` means "pretend the gradient arriving at `y` from further down is `v`". For a
# scalar output $v = 1$ is implied; for anything bigger PyTorch refuses to guess.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
y = x * 2
try:
    y.backward()
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The doubling loop
#
# The notes' example doubles `y` until its norm passes 1000. They test `y.data.norm()`; `.data`
# is a pre-0.4 habit that reads a tensor behind autograd's back. A comparison does not need it:
# `y.norm() < 1000` gives a plain boolean, and the `while` loop simply runs. (More on such
# data-dependent loops in the section on define-by-run.) Since $y = 2^k x$ elementwise,
# $J = 2^k I$ and `y.backward(v)` must return $v^\top J = 2^k v$. Every multiplication by 2 is
# exact in floating point, so the check can be exact too.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
y = x * 2
doublings = 1
while y.norm() < 1000:
    y = y * 2
    doublings += 1
print(y)
print(f"{doublings} doublings: y = {2**doublings} * x")

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
v = torch.tensor([0.1, 1.0, 0.0001])
y.backward(v)
print(x.grad)
assert torch.equal(x.grad, 2**doublings * v)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### "Why backward with a random vector instead of ones?"
#
# The notes ask this about the tutorial. The answer: nothing special is going on — **any** $v$
# is allowed, and `backward(v)` returns $v^\top J$ for it. The tutorial's $v$ is arbitrary just to
# show that. Two choices have a meaning:
#
# * $v$ = the gradient of a later loss with respect to $y$: then you get the loss's gradient
#   (this is what happens inside every network, one layer at a time);
# * $v = (1, \dots, 1)$: then $v^\top J$ is the column sums of $J$, the gradient of `y.sum()`.
#
# Let's check both against the full Jacobian from `torch.autograd.functional.jacobian`, for
# $f(x) = (x_1 x_2,\; x_2 + x_3^2)$ from $\mathbb{R}^3$ to $\mathbb{R}^2$, whose Jacobian is
# $J = \begin{pmatrix} x_2 & x_1 & 0\\ 0 & 1 & 2x_3\end{pmatrix}$.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
from torch.autograd.functional import jacobian


def f(x):
    return torch.stack([x[0] * x[1], x[1] + x[2] ** 2])


x0 = torch.tensor([1.0, 2.0, 3.0])
J = jacobian(f, x0)
print(J)

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
torch.manual_seed(0)
for name, v in [("random v", torch.randn(2)), ("ones", torch.ones(2))]:
    x = x0.clone().requires_grad_()
    f(x).backward(v)
    print(f"{name}: v = {v}\n    x.grad = {x.grad}\n    v^T J  = {v @ J}")
    assert torch.allclose(x.grad, v @ J)
x = x0.clone().requires_grad_()
f(x).sum().backward()
print("gradient of f(x).sum():", x.grad, "= column sums of J:", J.sum(0))
assert torch.equal(x.grad, J.sum(0))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Two more corrections to the notes. First, `gradient` must have **the same shape** as the
# output; one note says "or a broadcastable shape", but PyTorch checks the shape and refuses.
# Second, the notes say autograd "cannot compute the full Jacobian". It cannot in a single
# backward pass, but `jacobian` (or `torch.func.jacrev`) assembles it from one VJP per output
# row, $v = e_1, \dots, e_m$ — you will do that by hand in the exercises.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
x = x0.clone().requires_grad_()
try:
    f(x).backward(torch.tensor(1.0))  # a scalar does not broadcast to shape (2,)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Stopping the recording: `torch.no_grad()` and `.detach()`
#
# Recording costs memory (each operation keeps the inputs its backward needs). When we don't
# want derivatives — evaluating a model, updating weights — there are two tools:
#
# * `with torch.no_grad():` — nothing computed inside the block is recorded;
# * `t.detach()` — a new tensor with the same values, cut off from the graph. It **shares
#   memory** with the original, so an in-place change to one shows in the other; use
#   `t.detach().clone()` for an independent copy.
#
# (For pure inference there is also `torch.inference_mode()`, a stricter, faster `no_grad`.)

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
print("x needs grad:        ", x.requires_grad)
print("x**2 needs grad:     ", (x**2).requires_grad)
with torch.no_grad():
    print("inside no_grad:      ", (x**2).requires_grad)
d = x.detach()
print("x.detach() needs grad:", d.requires_grad, "| same values:", torch.equal(d, x))
d[0] = 7.0  # an in-place write to the detached tensor ...
print("x[0] after d[0] = 7:  ", x[0].item())  # ... shows up in x

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Gradients accumulate, graphs are freed
#
# `backward()` **adds** to `.grad`; it does not overwrite it. That is deliberate (a parameter
# used in several places, or gradients summed over several mini-batches, simply add up), but it
# means a training loop must clear the gradients before each step — `x.grad = None`, or
# `optimizer.zero_grad()` once we use optimizers.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
for step in range(3):
    loss = (x**2).sum()  # d loss / dx = 2x
    loss.backward()
    print(f"after backward #{step + 1}: x.grad = {x.grad}")
x.grad = None  # start afresh

# %% [markdown] slideshow={"slide_type": "notes"}
# Before revealing the loop's output, ask the room to predict the three printed gradients. Most
# expect the same value three times; the sums are the reason every training loop clears
# gradients (`optimizer.zero_grad()` from Chapter 3 on).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `retain_graph=True`
#
# Above, each iteration built a *new* graph. Calling `backward()` twice on the *same* graph
# fails: to save memory, the first backward frees the intermediate values the graph had saved.
# `retain_graph=True` keeps them, so the graph can be walked again (and the gradients accumulate
# once more). GANs, for example, back-propagate twice through a shared piece of graph.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
loss = (x**2).sum()
loss.backward()
try:
    loss.backward()
except RuntimeError as err:
    print("RuntimeError:", str(err).split(". ")[0] + ".")

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
x.grad = None
loss = (x**2).sum()
loss.backward(retain_graph=True)
loss.backward()
print(x.grad)  # 2 * 2x

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What was `Variable`?
#
# Before PyTorch 0.4 (2018) a `Tensor` could not take part in autograd. You wrapped it in
# `torch.autograd.Variable`, which held the tensor in `.data` plus `.grad` and the graph link.
# Version 0.4 merged the two: every tensor has `requires_grad`, `grad` and `grad_fn`, and
# `Variable(t)` survives only as a deprecated alias that returns a plain `Tensor`. So:
#
# | old (notes) | modern |
# |---|---|
# | `Variable(t, requires_grad=True)` | `t.requires_grad_()`, or `requires_grad=True` at creation |
# | `torch.FloatTensor([[1, 2], [3, 4]])` | `torch.tensor([[1.0, 2.0], [3.0, 4.0]])` |
# | `variable.data` | `variable.detach()` |
# | `variable.data.numpy()` | `variable.detach().numpy()` |

# %% [markdown] slideshow={"slide_type": "subslide"}
# Here is the notes' `Variable` example in modern form. As written there it would not run (it
# builds `ten`, then wraps an undefined name `tensor`), and a few claims need correcting:
#
# * "computes $x^2$": it computes the **mean** of $x^2$, $o = \frac14\sum_i x_i^2$, so
#   $\partial o / \partial x_i = x_i / 2$;
# * "`variable` changes too" after `backward()`: its values do not change, only `.grad` is filled;
# * "a tensor cannot do this": since 0.4 it can; a tensor *is* what `Variable` used to be.
#
# Avoiding `.data` is not only style: an in-place write through `.detach()` is noticed by
# autograd's version counter and raises an error if backward needed the old value, while a write
# through `.data` goes unnoticed and silently gives wrong gradients.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
tensor = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
variable = tensor.clone().requires_grad_()  # was: Variable(tensor, requires_grad=True)
t_out = torch.mean(tensor * tensor)
v_out = torch.mean(variable * variable)
print(t_out, v_out)
v_out.backward()
print(variable.grad)  # x / 2
print(variable)  # unchanged by backward
print(variable.detach().numpy())  # was: variable.data.numpy()
assert torch.equal(variable.grad, tensor / 2)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Looking at the graph: `grad_fn.next_functions`
#
# Each `grad_fn` node knows the nodes that feed it, in `next_functions`: a tuple of
# `(node, input_index)` pairs, one per input of the operation. An input that needs no gradient
# (a constant) appears as `None`; a leaf tensor appears as an `AccumulateGrad` node, the one
# that adds into its `.grad`. A short recursive function prints the whole graph.
#
# For the chapter's first example, read the output from the bottom up: `x` and the constant 2
# enter `AddBackward0`; its result `y` feeds *both* inputs of `y * y` — one shared node, so the
# graph is a DAG, not a tree; then comes the multiplication by the constant 3, and finally
# `MeanBackward0` produces `out`. `backward()` walks exactly this structure from the top.

# %% slideshow={"slide_type": "fragment"}
def show_graph(fn, names, depth=0, seen=None):
    """Print the backward graph below `fn`; `names` pairs leaf tensors with labels."""
    seen = [] if seen is None else seen
    label = type(fn).__name__ if fn is not None else "None (constant, no gradient)"
    if hasattr(fn, "variable"):  # an AccumulateGrad node wraps a leaf tensor
        label += " -> " + next(n for t, n in names if t is fn.variable) + ".grad"
    shared = any(fn is s for s in seen)
    print("    " * depth + label + ("  (shared, shown above)" if shared else ""))
    if fn is None or shared:
        return
    seen.append(fn)
    for child, _ in fn.next_functions:
        show_graph(child, names, depth + 1, seen)


# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
x = torch.ones(2, 2, requires_grad=True)
y = x + 2
out = (y * y * 3).mean()
show_graph(out.grad_fn, names=[(x, "x")])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Forward mode versus reverse mode
#
# The university notes illustrate automatic differentiation with
# $f(x_1, x_2) = \ln x_1 + x_1 x_2 - \sin x_2$ at $(x_1, x_2) = (2, 5)$. Broken into elementary
# operations, the computational graph is
#
# $$v_{-1} = x_1,\quad v_0 = x_2,\quad v_1 = \ln v_{-1},\quad v_2 = v_{-1} v_0,\quad
# v_3 = \sin v_0,\quad v_4 = v_1 + v_2,\quad v_5 = v_4 - v_3 = f .$$
#
# By hand: $\partial f/\partial x_1 = 1/x_1 + x_2 = 5.5$ and
# $\partial f/\partial x_2 = x_1 - \cos x_2 = 2 - \cos 5 \approx 1.7163$ (printed below).
#
# **Forward mode** pushes, next to every value $v_i$, its *tangent* $\dot v_i = \partial v_i /
# \partial x$ for one chosen input direction $\dot x$, using each operation's local rule
# ($\dot v_1 = \dot v_{-1} / v_{-1}$, $\dot v_2 = \dot v_{-1} v_0 + v_{-1} \dot v_0$, …). Seeding
# $\dot x = (1, 0)$ yields $\partial f / \partial x_1$ at the end; $\dot x = (0, 1)$ yields
# $\partial f / \partial x_2$. One pass per input. Let's do both passes in plain Python.

# %% slideshow={"slide_type": "fragment"}
def forward_trace(x1, x2, dx1, dx2):
    """Evaluate f with tangents; return rows (name, rule, value, tangent)."""
    v_1, t_1 = x1, dx1
    v0, t0 = x2, dx2
    v1, t1 = math.log(v_1), t_1 / v_1
    v2, t2 = v_1 * v0, t_1 * v0 + v_1 * t0
    v3, t3 = math.sin(v0), math.cos(v0) * t0
    v4, t4 = v1 + v2, t1 + t2
    v5, t5 = v4 - v3, t4 - t3
    rules = ["x1", "x2", "ln v-1", "v-1 * v0", "sin v0", "v1 + v2", "v4 - v3"]
    values = [(v_1, t_1), (v0, t0), (v1, t1), (v2, t2), (v3, t3), (v4, t4), (v5, t5)]
    names = ["v-1", "v0", "v1", "v2", "v3", "v4", "v5"]
    return [(n, r, v, t) for n, r, (v, t) in zip(names, rules, values, strict=True)]


# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
pass1 = forward_trace(2.0, 5.0, 1.0, 0.0)  # tangents along x1
pass2 = forward_trace(2.0, 5.0, 0.0, 1.0)  # tangents along x2
print(f"{'node':>4}  {'rule':<9} {'value':>9} {'d/dx1':>8} {'d/dx2':>8}")
for (name, rule, value, d1), (*_, d2) in zip(pass1, pass2, strict=True):
    print(f"{name:>4}  {rule:<9} {value:9.4f} {d1:8.4f} {d2:8.4f}")
df_dx1, df_dx2 = pass1[-1][3], pass2[-1][3]
assert df_dx1 == 5.5 and math.isclose(df_dx2, 2 - math.cos(5))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Dual numbers in PyTorch
#
# Carrying (value, tangent) pairs is arithmetic on **dual numbers** $a + b\varepsilon$ with
# $\varepsilon^2 = 0$: then $g(a + b\varepsilon) = g(a) + g'(a)\,b\,\varepsilon$, so the
# $\varepsilon$ part carries the derivative along. `torch.autograd.forward_ad` provides dual
# tensors: `make_dual(value, tangent)`, compute as usual, `unpack_dual` to read the tangent.
# The functional API `torch.func.jvp` (Jacobian–vector product) does the same in one call:
# give it the point and the direction $\dot x$, get back $f$ and $J\dot x$.
#
# In torch 2.14 the first forward-mode call loads some internal rules with the deprecated
# `torch.jit.script`, which prints a `FutureWarning` about torch's own code, not ours. We silence
# exactly that message.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
import torch.autograd.forward_ad as fwAD

warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", FutureWarning)


def f12(x1, x2):
    return torch.log(x1) + x1 * x2 - torch.sin(x2)


x1, x2 = torch.tensor(2.0, dtype=torch.float64), torch.tensor(5.0, dtype=torch.float64)
with fwAD.dual_level():
    dual_x1 = fwAD.make_dual(x1, torch.ones_like(x1))  # value 2, tangent 1: direction (1, 0)
    value, tangent = fwAD.unpack_dual(f12(dual_x1, x2))
print(f"dual numbers: f = {value.item():.4f}, df/dx1 = {tangent.item():.4f}")

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
from torch.func import jvp

one, zero = torch.ones_like(x1), torch.zeros_like(x1)
_, fwd_dx1 = jvp(f12, (x1, x2), (one, zero))
_, fwd_dx2 = jvp(f12, (x1, x2), (zero, one))
print(f"forward mode: df/dx1 = {fwd_dx1.item():.4f}, df/dx2 = {fwd_dx2.item():.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Reverse mode: one pass for all inputs
#
# Reverse mode (`backward`) runs the graph once forwards, then once backwards from $f$, and
# delivers $\partial f / \partial x_1$ and $\partial f / \partial x_2$ together.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
r1 = x1.clone().requires_grad_()
r2 = x2.clone().requires_grad_()
f12(r1, r2).backward()
print(f"reverse mode: df/dx1 = {r1.grad.item():.4f}, df/dx2 = {r2.grad.item():.4f}")
assert r1.grad.item() == 5.5 == fwd_dx1.item()
assert torch.allclose(r2.grad, fwd_dx2) and math.isclose(r2.grad.item(), 2 - math.cos(5))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Which mode when?
#
# For $f: \mathbb{R}^n \to \mathbb{R}^m$, a forward pass yields one **column** of $J$
# ($J\dot x$), a reverse pass one **row** ($v^\top J$). The full Jacobian costs $n$ forward
# passes or $m$ reverse passes.
#
# * A loss function has $n$ = millions of parameters and $m = 1$ output: reverse mode gets the
#   whole gradient in one pass. That is why deep learning runs on backpropagation.
# * Few inputs and many outputs (a curve depending on one parameter, a sensitivity study) suit
#   forward mode, which also needs no stored graph: the tangents travel with the values.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
def curve(t):  # R -> R^5: one input, five outputs
    return torch.stack([t, t**2, torch.sin(t), torch.exp(t), 1 / (1 + t)])


t = torch.tensor(0.5, dtype=torch.float64)
_, all_derivatives = jvp(curve, (t,), (torch.ones_like(t),))  # a single forward pass
expected = torch.stack([torch.ones_like(t), 2 * t, torch.cos(t), torch.exp(t), -1 / (1 + t) ** 2])
print(all_derivatives)
assert torch.allclose(all_derivatives, expected)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Your own operator: `torch.autograd.Function`
#
# The blitz notes ask "how do I define my own operator?". Usually you don't need anything
# special: a Python function built from tensor operations is differentiated automatically.
# Write a `torch.autograd.Function` when you want to supply the backward yourself — a more
# stable or cheaper formula, code autograd cannot see into (NumPy, an external library), or a
# deliberately different gradient (e.g. a straight-through estimator). You write two static
# methods: `forward` computes the result and saves what backward needs in `ctx`; `backward`
# receives $\partial l / \partial \text{output}$ and returns $\partial l / \partial \text{input}$.

# %% slideshow={"slide_type": "subslide"}
class SoftPlus(torch.autograd.Function):
    """softplus(x) = ln(1 + e^x), with derivative sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        # ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|): never overflows, unlike the naive formula
        return x.clamp(min=0) + torch.log1p(torch.exp(-x.abs()))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)  # chain rule: upstream gradient * local derivative


softplus = SoftPlus.apply  # call through .apply, never SoftPlus.forward

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
xs = torch.tensor([-100.0, -1.0, 0.0, 1.0, 100.0], requires_grad=True)
ys = softplus(xs)
ys.sum().backward()
print("softplus:  ", ys.detach())
print("gradient:  ", xs.grad)
print("naive ln(1 + e^x):", torch.log(1 + torch.exp(xs.detach())))  # e^100 overflows float32
assert torch.allclose(ys, torch.nn.functional.softplus(xs))
assert torch.equal(xs.grad, torch.sigmoid(xs.detach()))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Checking a hand-written backward: `gradcheck`
#
# A wrong backward gives no error, only wrong gradients. `torch.autograd.gradcheck` compares
# the analytic Jacobian from our backward with finite differences
# $\big(f(x + \epsilon e_i) - f(x - \epsilon e_i)\big) / 2\epsilon$. With $\epsilon = 10^{-6}$
# that difference quotient is only meaningful in `float64`: `float32` keeps about 7 significant
# digits, which the subtraction would wipe out. Below, our `SoftPlus` passes, and a copy whose
# backward forgets to multiply by `grad_output` is caught.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
from torch.autograd import gradcheck

torch.manual_seed(0)
x = torch.randn(cfg.gradcheck_size, dtype=torch.float64, requires_grad=True)
print("SoftPlus passes gradcheck:", gradcheck(softplus, (x,)))

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
class BrokenSoftPlus(SoftPlus):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.sigmoid(x)  # bug: ignores the upstream gradient


passed = gradcheck(BrokenSoftPlus.apply, (x,), raise_exception=False)
print("BrokenSoftPlus passes gradcheck:", passed)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Define-by-run: the graph is rebuilt on every forward
#
# The blitz notes call autograd *define-by-run*, and the video-course notes leave "why is Torch
# dynamic?" to be completed. Here is the answer. PyTorch records the graph *while the Python code
# runs*, and builds a new one on every forward pass. So ordinary `if` and `while` statements —
# even ones that depend on the data — just work: the recorded graph is the path that actually
# ran. A static-graph framework (TensorFlow 1.x) fixes the graph before any data arrives, and
# needs special graph operations (`tf.cond`, `tf.while_loop`) for such control flow.

# %% slideshow={"slide_type": "fragment"}
def dynamic(x):
    y = x
    while y.norm() < 10:  # how many steps depends on the data
        y = y * 2
    if y.sum() > 0:  # so does the branch
        return y.sum()
    return (y**2).sum()


def chain(fn):  # node names along the first input, from the output down to the leaf
    names = []
    while fn is not None:
        names.append(type(fn).__name__.removesuffix("Backward0"))
        fn = fn.next_functions[0][0] if fn.next_functions else None
    return " <- ".join(names)


# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
for values in ([0.5, 0.25], [-3.0, 1.0]):
    x = torch.tensor(values, requires_grad=True)
    result = dynamic(x)
    result.backward()
    print(f"x = {values}: x.grad = {x.grad}")
    print(f"    graph: {chain(result.grad_fn)}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# For $x = (0.5, 0.25)$ the loop doubled five times and took the first branch:
# $\text{result} = 32(x_1 + x_2)$, gradient $(32, 32)$. For $x = (-3, 1)$ it doubled twice and
# took the second: $\text{result} = 16\,(x_1^2 + x_2^2)$, gradient $32x = (-96, 32)$. Different
# data, different graphs, correct gradients for each.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Putting it together: fitting a line by gradient descent
#
# We fit $\hat y = wx + b$ to noisy points from $y = 3x + 0.5$ with the mean squared error
# $L = \frac1N\sum_i(\hat y_i - y_i)^2$. Each step: forward, `backward()`, then update
# $w \leftarrow w - \eta\,\partial L/\partial w$ (same for $b$) **inside `torch.no_grad()`**, so
# the update itself is not recorded, and clear the gradients. (The blitz notes update weights
# with `f.data.sub_(f.grad.data * learning_rate)`; an in-place update under `no_grad` is the
# modern form of the same step, without going behind autograd's back through `.data`.)

# %% slideshow={"slide_type": "fragment"}
seed_everything(0)
x_data = torch.linspace(-1, 1, 100)
y_data = 3 * x_data + 0.5 + 0.2 * torch.randn(100)
w = torch.zeros(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1

# %% slideshow={"slide_type": "fragment"}
losses = []
for _ in range(cfg.fit_steps):
    loss = ((w * x_data + b - y_data) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad = b.grad = None  # clear, or the next backward would add to them
    losses.append(loss.item())
print(f"{cfg.fit_steps} steps: loss {losses[0]:.3f} -> {losses[-1]:.4f}, "
      f"w = {w.item():.3f}, b = {b.item():.3f}")
assert losses[-1] < losses[0] / 10, "the loss should have dropped at least tenfold"
assert abs(w.item() - 3) < 0.3 and abs(b.item() - 0.5) < 0.3

# %% slideshow={"slide_type": "subslide"}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
ax1.plot(losses)
ax1.set(yscale="log", xlabel="step", ylabel="MSE loss", title="Loss")
ax2.scatter(x_data, y_data, s=8, alpha=0.6, label="data")
fit_label = f"fit: {w.item():.2f}x + {b.item():.2f}"
ax2.plot(x_data, (w * x_data + b).detach(), color="C3", label=fit_label)
ax2.set(xlabel="x", ylabel="y", title="Fitted line")
ax2.legend()
plt.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# The loss falls quickly and then levels off at the noise we added (variance $0.2^2 = 0.04$): no
# line can explain the noise. This loop — forward, backward, update under `no_grad`, clear — is
# every training loop in this book; later chapters only hand the update to `torch.optim`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Solutions are hidden below each exercise (click to expand in JupyterLab). Try first.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 1 — the 4.5 example at another point.** Repeat the chapter's first example
# (`y = x + 2`, `z = 3 * y * y`, `out = z.mean()`) with `x = [[1., 2.], [3., 4.]]`. Predict
# `x.grad` from the formula $\frac32(x_i + 2)$, then check it with `torch.equal`.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
y = x + 2
z = 3 * y * y
out = z.mean()
out.backward()
predicted = 1.5 * (x.detach() + 2)  # [[4.5, 6.0], [7.5, 9.0]]
print(x.grad)
assert torch.equal(x.grad, predicted)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 — a Jacobian, row by row and column by column.** For
# `g(x) = torch.stack([x[0] * x[1] * x[2], torch.sin(x[0]) + x[2]])` at `x = (1, 2, 3)`, build
# the $2 \times 3$ Jacobian twice: from reverse-mode VJPs (`backward` with $v = e_1, e_2$, one row
# each) and from forward-mode JVPs (`torch.func.jvp` with $\dot x = e_1, e_2, e_3$, one column
# each). Compare both with `jacobian(g, x)`.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
def g(x):
    return torch.stack([x[0] * x[1] * x[2], torch.sin(x[0]) + x[2]])


point = torch.tensor([1.0, 2.0, 3.0])
rows = []
for e in torch.eye(2):
    xr = point.clone().requires_grad_()
    g(xr).backward(e)
    rows.append(xr.grad)
cols = [jvp(g, (point,), (e,))[1] for e in torch.eye(3)]
J_rev, J_fwd = torch.stack(rows), torch.stack(cols, dim=1)
print(J_rev)
assert torch.allclose(J_rev, jacobian(g, point)) and torch.allclose(J_fwd, J_rev)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 — your own SiLU.** Write a `torch.autograd.Function` for
# $\mathrm{silu}(x) = x\,\sigma(x)$ with a hand-written backward, using
# $\mathrm{silu}'(x) = \sigma(x)\,\big(1 + x(1 - \sigma(x))\big)$. Check it with `gradcheck` on
# `cfg.gradcheck_size` random `float64` inputs, and compare its output with
# `torch.nn.functional.silu`.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
class SiLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * s * (1 + x * (1 - s))


torch.manual_seed(0)
x = torch.randn(cfg.gradcheck_size, dtype=torch.float64, requires_grad=True)
assert torch.allclose(SiLU.apply(x), torch.nn.functional.silu(x))
assert gradcheck(SiLU.apply, (x,))
