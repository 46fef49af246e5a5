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
# # Chapter 1 — Tensors
#
# A **tensor** is PyTorch's multi-dimensional array. It plays the role of NumPy's `ndarray`, with
# two additions that the rest of the book depends on: a tensor can live on an accelerator (a GPU),
# and it can record the operations applied to it so that gradients can be computed (Chapter 2).
#
# In this chapter we:
#
# - create tensors in the common ways and learn the three attributes every tensor has;
# - add, index, slice and reshape them, and see when two tensors share memory;
# - move data between NumPy and PyTorch, and between devices;
# - take a tour of the families of operations, including broadcasting;
# - measure why every framework hands matrix products to a BLAS library.

# %% slideshow={"slide_type": "-"}
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from course_utils.profile import settings

cfg = settings("01")
print(f"torch {torch.__version__}, profile {cfg.profile!r}, BLAS demo size {cfg.matmul_size}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Creating tensors
#
# `torch.empty(5, 3)` asks for a 5×3 tensor of 32-bit floats **without initialising it**.
# What the next cell prints depends on what that memory held before, so it may differ from run
# to run and from machine to machine.
# (The study notes begin with `from __future__ import print_function`, a Python 2 relic that
# Python 3 does not need.)

# %% slideshow={"slide_type": "-"}
x = torch.empty(5, 3)
print(x)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The study notes expected zeros here, got tiny numbers such as `8.4078e-45` and a few zeros
# instead, and asked why. Nothing went wrong: `empty` only reserves memory and leaves in it
# whatever bytes were there. Memory fresh from the operating system is zeroed, so a new process
# often prints zeros; memory that the program used and freed earlier still holds old bytes,
# which read as arbitrary floats. Neither is promised. Use `empty` only when every element is
# about to be overwritten (for example by `out=`, below), and never read from it first.
#
# When determinism matters more than speed, PyTorch can fill "uninitialised" memory for you:
# in deterministic mode `empty` writes NaN into floating-point tensors (and the largest value
# into integer ones), so that accidentally reading them is obvious.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.use_deterministic_algorithms(True)
try:
    print(torch.empty(2, 3))
    print(torch.empty(2, dtype=torch.long))
finally:
    torch.use_deterministic_algorithms(False)  # back to the default for the rest of the chapter

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Random tensors: `rand` and `randn`
#
# `torch.rand` draws from the uniform distribution on $[0, 1)$; `torch.randn` from the standard
# normal distribution, with density $p(x) = \frac{1}{\sqrt{2\pi}}\, e^{-x^2/2}$ (mean 0,
# standard deviation 1). Random numbers depend on the generator's state, so every cell whose
# printout must be reproducible seeds it first.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
x = torch.rand(5, 3)
print(x)

# %% slideshow={"slide_type": "subslide"}
torch.manual_seed(0)
uniform, normal = torch.rand(10_000), torch.randn(10_000)
grid = torch.linspace(-4, 4, 200)
density = torch.exp(-(grid**2) / 2) / (2 * torch.pi) ** 0.5
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.hist(uniform.numpy(), bins=50, density=True, alpha=0.6, label="torch.rand")
ax.hist(normal.numpy(), bins=50, density=True, alpha=0.6, label="torch.randn")
ax.plot(grid.numpy(), density.numpy(), "k--", label="N(0, 1) density")
ax.set_xlabel("value")
ax.set_ylabel("density")
ax.set_title("10,000 draws of each")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Constant tensors, literal tensors, tensors made from others
#
# `zeros`, `ones` and `full` fill a tensor with one value; `dtype=torch.long` asks for 64-bit
# integers, the type PyTorch uses for class labels. `torch.tensor` builds a tensor from Python
# data and infers its type: Python floats give `float32` (the default float type), Python ints
# give `int64`. The university notes write `torch.FloatTensor([2])`; that legacy constructor
# still exists, but the modern spelling is `torch.tensor([2.0])`.
#
# `x.new_ones(…)` makes a tensor of a new shape that inherits `x`'s dtype and device unless told
# otherwise. The `*_like` functions (`zeros_like`, `ones_like`, `randn_like`, …) copy the *shape*
# of their argument, and again its dtype and device unless overridden.

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
print(torch.zeros(5, 3, dtype=torch.long))
x = torch.tensor([5.5, 3.0])
print(x, x.dtype, torch.tensor([2, 7]).dtype)
ones = x.new_ones(5, 3, dtype=torch.double)  # shape (5, 3), float64 as requested
print(ones)
torch.manual_seed(0)
noise = torch.randn_like(ones, dtype=torch.float)  # same shape as `ones`, but float32
print(noise)
print(ones.dtype, "->", noise.dtype)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Rank, shape and dtype
#
# The university notes list three attributes that describe every tensor:
#
# | attribute | PyTorch | meaning |
# |---|---|---|
# | rank | `x.ndim` (or `x.dim()`) | number of dimensions (axes) |
# | shape | `x.shape` (or `x.size()`) | length along each axis |
# | type | `x.dtype` | type of every element |
#
# The notes describe the shape as "number of rows and columns"; that is the two-dimensional
# case. In general the shape has one entry per axis. "Rank" here means the number of axes, not
# the rank of a matrix in linear algebra (that one is `torch.linalg.matrix_rank`).
#
# `x.size()` and `x.shape` return the same `torch.Size` object, a subclass of Python's `tuple`:
# everything that works on tuples works on it (indexing, unpacking, comparison with a tuple).

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
examples = {
    "scalar": torch.tensor(3.14),
    "vector": torch.tensor([1, 2, 3]),
    "matrix": torch.zeros(2, 3),
    "batch of RGB images": torch.zeros(4, 3, 32, 32, dtype=torch.uint8),
}
for name, t in examples.items():
    print(f"{name:>20}: ndim={t.ndim}  shape={tuple(t.shape)}  dtype={t.dtype}")
size = examples["matrix"].size()
rows, cols = size
print(size, isinstance(size, tuple), size == (2, 3), size[0], rows * cols)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Four ways to add
#
# The blitz tutorial adds two tensors in several ways and the notes ask: *why two ways?*
# They are not redundant:
#
# - `x + y` is shorthand; Python turns it into `x.__add__(y)`, which calls `torch.add(x, y)`.
# - `torch.add(x, y, …)` (or the method `x.add(y)`) is the full form: it also takes keyword
#   arguments that an operator cannot, such as `alpha` ($x + \alpha y$) and `out=`.
# - `torch.add(x, y, out=result)` writes into a tensor you already have.
# - `y.add_(x)`, and `y += x`, change `y` itself (in place).

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
x = torch.ones(5, 3)
y = torch.zeros(5, 3)
print(x + y)
print(torch.equal(x + y, torch.add(x, y)), torch.equal(x + y, x.add(y)))
print(torch.add(x, x, alpha=2)[0])  # x + 2·x in one call

# %% [markdown] slideshow={"slide_type": "notes"}
# A common question here: are `x + y` and `torch.add(x, y)` different operations? No, one is
# shorthand for the other; the full form exists for keyword arguments such as `alpha` and `out=`.
# Keep in-place updates for the next slide, where the question of shared memory comes up.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `out=` and in-place updates
#
# With `out=`, `torch.empty` is the right tool: every element of `result` is overwritten, and the
# call returns `result` itself. Every method whose name ends in `_` (`add_`, `mul_`, `zero_`, …)
# modifies its tensor in place; so does `y += x`, while `y = y + x` builds a new tensor and
# rebinds the name.
#
# In-place operations save an allocation, at two costs. Every other name for the same memory (a
# view, a NumPy array — see below) sees the change. And autograd may need the old values to
# compute gradients, so it refuses some in-place updates (Chapter 2). Prefer the out-of-place
# forms unless memory is tight; `out=` is rarely needed in everyday code.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
result = torch.empty(5, 3)
returned = torch.add(x, y, out=result)
print(result[0], returned is result)
y.add_(x)
print(y[0])
before = y
y += x  # in place: still the same tensor
print(y is before, y[0])
y = y + x  # a new tensor; `before` keeps the old values
print(y is before, y[0], before[0])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Indexing and slicing
#
# Tensors are indexed like NumPy arrays: one index or slice per axis, counting from 0, with
# negative indices counting from the end. The notes label `x[:, 1]` "the first column" and
# `x[1, :]` "the first row"; because indices start at 0, they are the **second** column and
# row. Their tensor was all ones, so the printout could not reveal the slip; a tensor whose
# values show their positions does.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
x = torch.arange(12).reshape(3, 4)
print(x)
print("x[:, 0], first column: ", x[:, 0])
print("x[:, 1], second column:", x[:, 1])
print("x[1, :], second row:   ", x[1, :])
print("x[-1], last row:       ", x[-1])
print("x[:, ::2], even columns:\n", x[:, ::2])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Slices are views; masks and index lists copy
#
# A basic slice does not copy: it is a *view*, a new tensor object looking at the same memory.
# Writing through it changes the original. Indexing with a boolean mask or a list of indices
# gathers the elements into new memory instead. `.item()` turns a one-element tensor into a
# Python number.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
x = torch.arange(12).reshape(3, 4)
second_col = x[:, 1]
second_col[0] = 100  # writes into x
print(x)
print(x[x > 8])  # boolean mask -> 1-D copy of the selected elements
print(x[[0, 2]])  # rows 0 and 2, copied
print(x[2, 3].item(), type(x[2, 3].item()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Changing the shape: `view`, `reshape` and `-1`
#
# `view` reinterprets the same memory with a new shape; the number of elements must not change.
# One dimension may be given as `-1`: PyTorch computes it. A 4×4 tensor has 16 elements, so
# `view(-1, 2)` becomes shape $(16/2,\ 2) = (8, 2)$.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
x = torch.randn(4, 4)
y = x.view(16)
z = x.view(-1, 2)
print(x.shape, y.shape, z.shape)
print(z[:2])
print("same memory:", y.data_ptr() == x.data_ptr() == z.data_ptr())

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Strides, and when `view` fails
#
# A tensor stores its elements in one flat block of memory plus a **stride** for each axis: the
# number of elements to skip to move one step along that axis. Element $(i, j)$ of a 2-D tensor
# sits at offset $i\,s_0 + j\,s_1$. A freshly made 4×4 tensor has strides $(4, 1)$ and is
# *contiguous* (rows laid out one after another). Its transpose `x.t()` is a view with strides
# $(1, 4)$: the same memory read column by column. No single stride walks that memory in the
# transposed order, so `view(16)` is impossible.
#
# `reshape` returns a view when one exists and otherwise **copies** into new, contiguous memory,
# as `x.contiguous().view(…)` does explicitly. Use `view` when nothing must be copied (and you
# want an error if it would be); use `reshape` when you just need the shape.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
t = x.t()
print(x.stride(), x.is_contiguous(), "|", t.stride(), t.is_contiguous())
try:
    t.view(16)
except RuntimeError as err:
    print("RuntimeError:", str(err).split(" (")[0])
flat_view = x.reshape(16)  # x is contiguous: a view
flat_copy = t.reshape(16)  # t is not: a copy
print("x.reshape shares memory:", flat_view.data_ptr() == x.data_ptr())
print("t.reshape shares memory:", flat_copy.data_ptr() == t.data_ptr())
print(torch.equal(flat_copy, t.contiguous().view(16)))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The NumPy bridge
#
# `t.numpy()` and `torch.from_numpy(a)` convert without copying: the tensor and the array share
# one block of memory, so a change made through either is seen by both. This works for tensors
# on the CPU, in both directions.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
a = torch.ones(5)
b = a.numpy()
a.add_(1)  # change the tensor in place...
print(b)  # ...and the array sees it
b += 1  # change the array in place...
print(a)  # ...and the tensor sees it
c = np.ones(5)
d = torch.from_numpy(c)
np.add(c, 1, out=c)
print(d)  # float64: NumPy's default float type came along

# %% [markdown] slideshow={"slide_type": "notes"}
# Live demo: in the cell above, replace `a.add_(1)` with `a = a + 1` and run it again. The array no
# longer changes, because `a` now names a new tensor. It is the quickest way to show the
# difference between changing memory and rebinding a name.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Which conversions copy?
#
# `torch.tensor(array)` always **copies**, like `torch.tensor(list)`. `torch.as_tensor(array)`
# shares memory when it can (same dtype, on the CPU) and copies otherwise. NumPy defaults to
# `float64` while PyTorch layers use `float32`: convert with `.float()` before feeding NumPy data
# to a model. Two situations stop `.numpy()`: a tensor that requires gradients (use
# `t.detach().numpy()`) and a tensor on a GPU (use `t.cpu().numpy()`, which copies);
# `t.numpy(force=True)` does both when needed.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
a = np.zeros(3)
copied = torch.tensor(a)
shared = torch.as_tensor(a)
a[0] = 7.0
print(copied, shared)
print(np.shares_memory(a, copied.numpy()), np.shares_memory(a, shared.numpy()))
print(shared.float().dtype)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Tensors on a device
#
# `t.to(device)` returns a copy of `t` on another device (or `t` itself if it is already there).
# The notes run `assert torch.cuda.is_available()` first, which stops a notebook on every
# machine without an NVIDIA GPU. Device-agnostic code picks the device once and writes
# everything else in terms of it; the book's helper `pick_device` does this and says what it found.

# %% slideshow={"slide_type": "-"}
from course_utils.device import pick_device

device = pick_device()

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same code runs on a GPU, Apple's MPS or the CPU. Operands must be on the same device;
# creation functions take a `device=` argument, and `.to()` can change device and dtype in
# one call. The printed result was brought back to the CPU, so it reads the same everywhere.
# Older code writes `t.cuda()`; it still works but hard-codes the device, while `.to(device)` is
# portable. Chapter 14 returns to several GPUs, `set_device` and `CUDA_VISIBLE_DEVICES`.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
x = torch.randn(4, 4)
y = torch.ones_like(x, device=device)  # created directly on the device
z = x.to(device) + y
print(z.to("cpu", torch.int))  # back to the CPU, converted to int32 (truncating)

# %% slideshow={"slide_type": "fragment"}
print("z lives on:", z.device)
if device.type == "cuda":
    print("GPU:", torch.cuda.get_device_name(device))
    print(f"memory held by tensors: {torch.cuda.memory_allocated(device) / 2**20:.1f} MiB")
else:
    print("No CUDA GPU here, so everything above ran on", device, "- the code is unchanged;")
    print("on a machine with a GPU the same cells would place z in GPU memory.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A tour of the operation families
#
# The university notes group tensor operations into six families: type conversion, creation
# (with seeds), shape changes, data operations (slicing, joining), arithmetic and matrix
# operations. One small example of each follows; the `torch` documentation lists them all.
#
# **1. Type conversion.** Tensors hold numbers, not strings, so text is parsed in Python first.
# Between numeric types, `.to(dtype)` is general and `.float()`, `.double()`, `.long()`, `.int()`
# are shortcuts. Float → int **truncates toward zero**. Dividing integers with `/` gives floats;
# `//` keeps integers. `.type()` with no argument gives the legacy type name.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
numbers = torch.tensor([float(s) for s in ["3.7", "-1.5", "42"]])
print(numbers, numbers.dtype)
print(numbers.to(torch.float64).dtype, numbers.double().dtype)
print(numbers.long())
ints = torch.tensor([1, 2, 3])
print(ints / 2, ints // 2, (ints + 0.5).dtype)
print(numbers.type())

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 2. Creation, with seeds
#
# Resetting the seed replays the same random numbers (on the same PyTorch version and device).
# A `torch.Generator` keeps a private stream, so one part of a program cannot disturb another.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(42)
first = torch.randn(3)
torch.manual_seed(42)
print(torch.equal(first, torch.randn(3)))
gen = torch.Generator().manual_seed(7)
print(torch.randint(0, 10, (6,), generator=gen))
print(torch.normal(mean=10.0, std=2.0, size=(3,), generator=gen))
print(torch.arange(0, 10, 3), torch.linspace(0, 1, 5))
print(torch.full((2, 3), 7), torch.eye(2), sep="\n")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 3–4. Shape changes, joining and splitting
#
# `unsqueeze(d)` inserts an axis of length 1 at position `d` (for example a batch of one image);
# `squeeze` removes axes of length 1; `permute` reorders axes; `flatten` merges them.
# `cat` joins tensors along an **existing** axis, `stack` along a **new** one; `chunk` and
# `split` cut a tensor into pieces (slicing was covered above).

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
x = torch.zeros(2, 3)
print(x.unsqueeze(0).shape, x.unsqueeze(-1).shape)
y = torch.zeros(1, 2, 1, 3)
print(y.squeeze().shape, y.squeeze(2).shape)  # all length-1 axes / only axis 2
img = torch.zeros(32, 32, 3)  # height, width, channels: how image files are decoded
print(img.permute(2, 0, 1).shape, img.flatten(start_dim=1).shape)  # channels first / merged
a, b = torch.zeros(2, 3), torch.ones(2, 3)
print(torch.cat([a, b]).shape, torch.cat([a, b], dim=1).shape)
print(torch.stack([a, b]).shape, torch.stack([a, b], dim=2).shape)
print(torch.arange(10).chunk(3), torch.arange(10).split([2, 8]), sep="\n")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 5. Arithmetic
#
# Operators work element by element. Reductions take a `dim`: `sum(dim=0)` adds down the rows,
# leaving one value per column. For negative numbers `%` (`torch.remainder`) follows Python and
# takes the sign of the divisor, while `torch.fmod` follows C and takes the sign of the dividend.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(x.sum(), x.sum(dim=0), x.mean(dim=1))
print(x - 1, x * x, sep="\n")
print(torch.tensor([-7, 7]) % 3, torch.fmod(torch.tensor([-7, 7]), 3))
print(torch.sin(torch.tensor([0.0, torch.pi / 2])), torch.sqrt(x[0]) ** 2)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 6. Matrix operations
#
# `torch.diag` builds a diagonal matrix from a vector, or reads the diagonal of a matrix.
# `torch.flip` reverses the order along the given axes. `@` (`torch.matmul`) is the matrix
# product, $(AB)_{ij} = \sum_k A_{ik} B_{kj}$. The determinant lives in `torch.linalg`
# (`torch.det` is an alias); for $A = \begin{pmatrix}2 & 1\\ 1 & 3\end{pmatrix}$ it is
# $2 \cdot 3 - 1 \cdot 1 = 5$.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
print(torch.diag(torch.tensor([1, 2, 3])))
print(torch.diag(torch.arange(9).reshape(3, 3)))
print(torch.flip(torch.arange(6).reshape(2, 3), dims=[1]))
A = torch.tensor([[2.0, 1.0], [1.0, 3.0]])
print(A @ A, torch.matmul(A, torch.tensor([1.0, 1.0])), sep="\n")
print(torch.linalg.det(A))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Broadcasting
#
# When two operands have different shapes, PyTorch (like NumPy) lines the shapes up **from the
# right**. Each pair of lengths must be equal, or one of them must be 1 (or missing); a length-1
# axis is stretched, without copying, to match the other. So $(3, 1) + (1, 4) \to (3, 4)$ and
# $(5, 3) - (3,) \to (5, 3)$. Broadcasting is convenient and occasionally surprising: a vector of
# shape $(3,)$ plus a column of shape $(3, 1)$ is a 3×3 matrix, not a vector. Shapes that cannot
# be lined up are an error.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
col = torch.arange(3).reshape(3, 1)
row = torch.arange(4).reshape(1, 4)
print(col * 10 + row)  # (3, 1) and (1, 4) -> (3, 4)
torch.manual_seed(0)
data = torch.randn(5, 3) * 4 + 2
centred = data - data.mean(dim=0)  # (5, 3) - (3,): subtract each column's mean
print(centred.mean(dim=0).abs().max() < 1e-6)
print((torch.zeros(3) + torch.zeros(3, 1)).shape)  # the surprise
try:
    torch.zeros(3) + torch.zeros(4)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why frameworks call BLAS
#
# Multiplying two $n \times n$ matrices takes $n^3$ multiplications and $n^3$ additions,
# $2n^3$ floating-point operations (FLOPs). Written as three nested Python loops, each of them
# goes through the interpreter. Frameworks instead call a BLAS library (MKL or OpenBLAS on a CPU,
# cuBLAS on an NVIDIA GPU) whose kernels use vector instructions, caches and every core.
# First, the textbook algorithm in pure Python, on a tiny 64×64 problem:


# %% slideshow={"slide_type": "-"}
def matmul_python(a, b):
    """Multiply two matrices stored as lists of lists, the textbook way."""
    n, m, p = len(a), len(b), len(b[0])
    out = [[0.0] * p for _ in range(n)]
    for i in range(n):
        for j in range(p):
            total = 0.0
            for k in range(m):
                total += a[i][k] * b[k][j]
            out[i][j] = total
    return out


n_small = 64
torch.manual_seed(0)
A, B = torch.randn(n_small, n_small), torch.randn(n_small, n_small)
A_list, B_list = A.tolist(), B.tolist()
assert torch.allclose(torch.tensor(matmul_python(A_list, B_list)), A @ B, atol=1e-4)


# %% slideshow={"slide_type": "subslide"}
def best_time(fn, repeats=3):
    """The fastest of a few runs, in seconds (the least disturbed by other work)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


t_python = best_time(lambda: matmul_python(A_list, B_list))
t_torch_small = best_time(lambda: A @ B, repeats=50)
print(f"n={n_small}, Python loops: {t_python * 1e3:.1f} ms")
print(f"n={n_small}, torch: {t_torch_small * 1e6:.0f} us, {t_python / t_torch_small:.0f}x faster")

# %% [markdown] slideshow={"slide_type": "fragment"}
# At this size even PyTorch spends much of its time on call overhead. The BLAS kernel shows its
# strength on a larger problem: below, $n$ is `cfg.matmul_size` (1024 in the full profile), a
# problem $(1024/64)^3 = 4096$ times bigger. We compare speed in GFLOP/s ($10^9$ FLOPs per second).

# %% slideshow={"slide_type": "subslide"}
import re

blas = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
print("BLAS:", blas.group(1) if blas else "not reported", "|", torch.get_num_threads(), "threads")
n = cfg.matmul_size
torch.manual_seed(0)
A, B = torch.randn(n, n), torch.randn(n, n)
_ = A @ B  # warm-up: the first call pays one-off setup costs
t_torch = best_time(lambda: A @ B, repeats=5)
gflops_python = 2 * n_small**3 / t_python / 1e9
gflops_torch = 2 * n**3 / t_torch / 1e9
print(f"Python loops, n={n_small}: {gflops_python:.3f} GFLOP/s")
print(f"torch (BLAS), n={n}: {gflops_torch:.1f} GFLOP/s, {gflops_torch / gflops_python:.0f}x")
assert gflops_torch > 10 * gflops_python  # typically 1000x: a wide margin, even on a busy machine

# %% [markdown] slideshow={"slide_type": "fragment"}
# Same CPU, same count of operations, and the factor printed above is in the hundreds or
# thousands. Interpreted loops could never feed a neural network; the framework's job is to let
# us write `A @ B` in Python while the work runs in compiled, tuned libraries, on the CPU or,
# with the same code, on a GPU.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - `empty` leaves memory uninitialised; `zeros`, `ones`, `full`, `rand`, `randn`, `tensor`,
#   `new_*` and `*_like` give defined contents. Seed before drawing random numbers.
# - Every tensor has a rank (`ndim`), a shape (`torch.Size`, a tuple) and a `dtype`.
# - `+` is `torch.add`; the function form adds `alpha=` and `out=`; a trailing `_` means in place.
# - Slices and `view` share memory; masks, index lists and a `reshape` that cannot view copy.
# - `.numpy()`/`from_numpy` share memory; `torch.tensor(array)` copies.
# - Pick a device once and use `.to(device)`; broadcasting aligns shapes from the right.
# - Large matrix products belong to BLAS, not to Python loops.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Try each exercise before opening its solution (the hidden cell below it).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1 — a picture frame
#
# Build a 5×5 `float32` tensor `frame` with ones on its border and zeros inside, using one
# creation function and slicing (no loops). Print `frame` and its **second** column.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
frame = torch.ones(5, 5)
frame[1:-1, 1:-1] = 0  # the inner 3x3 block
print(frame)
print(frame[:, 1])
assert frame.sum() == 16 and frame[:, 1].tolist() == [1.0, 0.0, 0.0, 0.0, 1.0]

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2 — who shares memory?
#
# Let `a = np.arange(4.0)` (a `float64` array). For each of `torch.from_numpy(a)`,
# `torch.tensor(a)`, `torch.as_tensor(a)` and `torch.as_tensor(a, dtype=torch.float32)`,
# predict whether it shares memory with `a`. Then check by changing `a` in place and looking at
# each tensor, and store the answers in a dict `shares` (name → `True`/`False`).

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
a = np.arange(4.0)
candidates = {
    "from_numpy": torch.from_numpy(a),
    "tensor": torch.tensor(a),
    "as_tensor": torch.as_tensor(a),
    "as_tensor float32": torch.as_tensor(a, dtype=torch.float32),  # dtype change forces a copy
}
a[0] = -1.0
shares = {name: t[0].item() == -1.0 for name, t in candidates.items()}
print(shares)
assert shares == {
    "from_numpy": True,
    "tensor": False,
    "as_tensor": True,
    "as_tensor float32": False,
}

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3 — distances by broadcasting
#
# With `torch.manual_seed(0)`, draw points `P = torch.randn(5, 2)` and `Q = torch.randn(4, 2)`.
# Without loops, compute the 5×4 matrix `D` with $D_{ij} = \lVert P_i - Q_j \rVert_2$.
# Hint: give `P` shape $(5, 1, 2)$ and `Q` shape $(1, 4, 2)$. Compare with `torch.cdist(P, Q)`.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
torch.manual_seed(0)
P, Q = torch.randn(5, 2), torch.randn(4, 2)
diff = P.unsqueeze(1) - Q.unsqueeze(0)  # (5, 1, 2) - (1, 4, 2) -> (5, 4, 2)
D = diff.pow(2).sum(dim=-1).sqrt()  # (5, 4)
print(D.shape)
assert D.shape == (5, 4) and torch.allclose(D, torch.cdist(P, Q), atol=1e-5)
