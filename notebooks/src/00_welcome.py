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
# # Chapter 0 — Welcome and setup
#
# This book teaches deep learning with PyTorch, one runnable notebook per topic. Every chapter
# mixes a little prose, a small piece of code and the output that code printed, so you can read
# it like a book, present it like a slide deck, or change a number and run it again.
#
# This first chapter does three things:
#
# 1. shows **how to use the book**: the chapters, the two run profiles, where the data comes from,
#    which device runs your code and why everything is seeded;
# 2. takes a **first look at the data** (handwritten digits from MNIST);
# 3. explains **what a deep-learning framework gives you**, and why PyTorch builds its
#    computational graph *while your code runs* (a "dynamic" graph) rather than before it.
#
# The book grew out of five sets of study notes written in Chinese while their authors worked
# through well-known tutorials (the official "60-minute blitz", a video course, a university
# course, a handbook chapter on MNIST, a tutorial on convolution arithmetic). They set the topics
# and the numbers the book reproduces. The notes used PyTorch 1.x, so the book writes everything in
# current PyTorch and says so wherever an old call appears.
#
# The notes' vocabulary is kept in `docs/GLOSSARY.md`: each English term of the book with the
# Chinese term the notes use, so you can read both side by side.

# %% [markdown] slideshow={"slide_type": "notes"}
# Before class: run `make lab` once (the first install takes a few minutes) and open this
# chapter in the book's kernel, "PyTorch course (.venv)". Present this deck from
# `make slides CHAPTER=00`, or live from JupyterLab with RISE to run cells in front of the room.
# The point of the chapter is the routine, not the maths: profiles, data, device, seeds.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How to use the book
#
# | # | chapter | what you will do |
# |---|---|---|
# | 00 | welcome & setup | profiles, data, device; what a framework is; static vs dynamic graphs |
# | 01 | tensors | create, index, reshape tensors; the NumPy bridge; moving data to a device |
# | 02 | autograd | `requires_grad`, `backward`, vector–Jacobian products, forward vs reverse mode |
# | 03 | neural networks | `nn.Module`, LeNet, shape arithmetic, loss, one manual SGD step |
# | 04 | regression & classification | fit a noisy curve, separate two clusters, save and load |
# | 05 | data | `Dataset`, `DataLoader`, a CSV dataset, torchvision transforms |
# | 06 | optimizers | SGD, Momentum, RMSprop, Adam side by side; learning-rate changes |
# | 07 | CIFAR-10 classifier | the blitz classifier end to end, per-class accuracy |
# | 08 | MNIST CNN | the handbook ConvNet, test accuracy epoch by epoch |
# | 09 | RNN / LSTM | reading digits row by row; sin → cos regression |
# | 10 | autoencoder | squeeze MNIST into three numbers and back |
# | 11 | GAN | a generator and a discriminator learning a family of curves |
# | 12 | overfitting & dropout | overfit on purpose, then fight it |
# | 13 | batch normalization | activations with and without BN |
# | 14 | GPU and scaling out | device-agnostic code, timings, DistributedDataParallel |
# | 15 | torchvision models | ResNet from the model zoo, the `weights=` API, fine-tuning |

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Running the notebooks
#
# From the repository root:
#
# - `make lab` opens JupyterLab with the course's kernel ("PyTorch course (.venv)");
# - `make test` executes every notebook in the `fast` profile (see below) and compares the
#   outputs of the cells tagged `nbval-check-output` with the ones stored in the notebook.
#
# Each chapter is stored twice: `NN_name.ipynb` (with outputs, what you open) and `NN_name.py`
# (the same cells as plain Python, easy to diff and review). `jupytext` keeps the pair in sync.
#
# In JupyterLab the exercise solutions at the end of every chapter are collapsed: click the
# cell to see them.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One switch: the profile
#
# The environment variable `COURSE_PROFILE` chooses how much work each chapter does:
#
# - `full` (the default) uses the real settings of the notes: every epoch, the whole dataset;
# - `fast` shrinks epochs and subsets so that the whole book runs in minutes on two CPU cores.
#   The tests use it.
#
# Set it before starting Jupyter, e.g. `COURSE_PROFILE=fast make lab`. A chapter never
# hard-codes a number that depends on the profile. It asks `settings("NN")` instead.
#
# The first cell below prints the active profile. The second flips the switch inside Python for
# a moment, only to show both profiles' values and what a misspelt profile does (it is an error,
# not a silent fallback).

# %% slideshow={"slide_type": "fragment"}
from course_utils.paths import data_dir, mirror_dir
from course_utils.profile import current_profile, settings

cfg = settings("00")
print("active profile:", current_profile())
print("settings for chapter 00:", cfg)

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
import os

saved = os.environ.get("COURSE_PROFILE")           # flip the switch for a moment...
for name in ("full", "fast", "quick"):
    os.environ["COURSE_PROFILE"] = name
    try:
        print(f"{name}: demo_images = {settings('00').demo_images}")
    except ValueError as err:
        print("ValueError:", err)
os.environ["COURSE_PROFILE"] = saved or "full"     # ...and put it back

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Where the data lives
#
# `course_utils.data` hands you MNIST and CIFAR-10 from the best source it can find, in this
# order, and prints **one line** saying which one it used:
#
# 1. **cache**: files already unpacked in the book's own data folder, `data_dir()`
#    (`data/` in the repository, or wherever `COURSE_DATA_DIR` points);
# 2. **mirror**: a read-only copy named by `COURSE_DATA_MIRROR`; its files are checked
#    (md5) and unpacked into the data folder, and nothing is ever written into the mirror;
# 3. **download**: the files torchvision downloads, fetched with a short timeout for each network
#    operation and a deadline for the whole download, so that no cell hangs;
# 4. **offline stand-in**: with no files, no mirror and no network you get a small look-alike
#    (scikit-learn's 8×8 digits scaled to 28×28), with the same shapes and classes. Every chapter
#    still runs, but accuracies measured on it are not the book's numbers. The printed line says
#    `OFFLINE STAND-IN` in capitals so you cannot miss it.

# %% slideshow={"slide_type": "fragment"}
print("data folder:", data_dir())
print("mirror     :", mirror_dir() or "none (COURSE_DATA_MIRROR is not set)")

# %% [markdown] slideshow={"slide_type": "notes"}
# Read the line the data cell prints when you run it live. On a machine without the data files
# or the network it says `OFFLINE STAND-IN`: say so, because accuracies in later chapters will
# then differ from the book's numbers. The fix is `COURSE_DATA_MIRROR` or one download.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Which device runs the code
#
# `pick_device()` returns a `torch.device`: a CUDA GPU if there is one, else an Apple GPU (MPS),
# else the CPU. It prints one line saying what it picked and why. `COURSE_DEVICE=cpu` forces a
# choice. Chapters move models and batches with `.to(device)` and otherwise never mention the
# hardware, so the same notebook runs on a laptop and on a GPU server. Chapter 14 measures when a
# GPU pays off. For the small networks of the early chapters it barely does.

# %% slideshow={"slide_type": "fragment"}
import torch

from course_utils.device import pick_device, seed_everything

device = pick_device()
print("torch", torch.__version__, "| a", type(device).__name__, "of type", repr(device.type))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why everything is seeded
#
# Weights start random, mini-batches are shuffled, dropout flips coins. Run the same notebook
# twice without a seed and every number changes. One of the notes wondered why its predictions
# differed from the tutorial's, and this was the reason. `seed_everything(0)` seeds Python's
# `random`, NumPy and torch (CPU and every GPU) at once. It also returns a seeded
# `torch.Generator` to give a `DataLoader` for reproducible shuffling. (On a GPU, some kernels
# may still differ in the last bits unless `seed_everything(0, deterministic=True)` asks for
# deterministic algorithms, which are slower.)

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
seed_everything(0)
first = torch.rand(3)
seed_everything(0)
second = torch.rand(3)
print(first)
print(second)
print("identical:", torch.equal(first, second))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A first look at the data
#
# MNIST: 28×28 grey images of handwritten digits, each with its label 0–9. `mnist(train=True)`
# returns a dataset that behaves like `torchvision.datasets.MNIST`. The first call may take a few
# seconds to unpack the files. `ds[i]` is one sample, an `(image, label)` pair, where the image is
# a PIL image, not yet a tensor. `.targets` holds all labels at once, which makes counting cheap.

# %% slideshow={"slide_type": "fragment"}
from course_utils.data import mnist

ds = mnist(train=True)
print(len(ds), "images; classes:", ds.classes)
image, label = ds[0]
print(type(image).__name__, image.size, image.mode, "| label:", label)

targets = torch.as_tensor(ds.targets)
print("images per digit:", torch.bincount(targets, minlength=10).tolist())

# %% [markdown] slideshow={"slide_type": "subslide"}
# To show the images we turn them into tensors `(C,H,W)` with values in [0, 1]: a
# torchvision transform (chapter 05 explains transforms). `show_images` draws a grid with each
# label as the title. The profile decides how many (`cfg.demo_images`).

# %% slideshow={"slide_type": "-"}
from torchvision.transforms import v2

from course_utils.plots import show_images

to_tensor = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])
images = torch.stack([to_tensor(ds[i][0]) for i in range(cfg.demo_images)])  # (N,1,28,28)
labels = targets[: cfg.demo_images]
print("batch shape:", tuple(images.shape), "| pixel range:", images.min().item(), "to",
      images.max().item())
show_images(images, labels=labels, classes=ds.classes, ncols=8)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What a deep-learning framework gives you
#
# You *could* write a convolutional network from scratch in NumPy: the forward pass, every
# derivative by hand, a fast matrix product. It would take days and run slowly. A framework is a
# library of prebuilt, optimised parts for defining and training models. The university notes list
# its core components:
#
# 1. **tensors**: the data structure (multi-dimensional arrays);
# 2. **operations** on tensors;
# 3. the **computational graph**: the record of which operation produced what;
# 4. **automatic differentiation**: gradients computed from that graph;
# 5. **fast kernels**: BLAS, MKL, cuBLAS, cuDNN doing the heavy arithmetic.
#
# One tiny example of each follows. Chapters 01–03 go deep.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 1 · Tensors and 2 · operations
#
# A tensor is an n-dimensional array, like NumPy's `ndarray`, that can also live on a GPU and
# remember how it was computed. The notes name three attributes: **rank** (number of dimensions),
# **shape** (size along each dimension) and **type** (the element `dtype`).
#
# Operations come by the hundred, in a few families: creating tensors, converting types, changing
# shape, slicing and joining, element-wise arithmetic, linear algebra. Below: the three attributes,
# then one operation of each family.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
t = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print("rank:", t.ndim, "| shape:", t.shape, "| dtype:", t.dtype)

a = torch.arange(6)                          # create: 0..5 (int64)
print(a.dtype, "->", a.float().dtype)        # convert the type
m = a.float().reshape(2, 3)                  # change the shape: (6,) -> (2,3)
print(m[:, 1:])                              # slice: every row, columns 1 and 2
print(torch.cat([m, m]).shape)               # join: (2,3) + (2,3) -> (4,3)
print(torch.sin(m).round(decimals=3))        # element-wise arithmetic
print(m @ m.T)                               # matrix product: (2,3) @ (3,2) -> (2,2)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 3 · The computational graph
#
# Take the function from the university notes, $f(x_1, x_2) = \ln x_1 + x_1 x_2 - \sin x_2$.
# Mark the inputs with `requires_grad=True` and PyTorch records each operation as a node while
# computing. The result's `grad_fn` is the last node, and `next_functions` leads back to the inputs.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
def show_graph(node, depth=0):
    """Print the backward graph that ends in `node`, one indented line per node."""
    print("    " * depth + type(node).__name__)
    for child, _ in node.next_functions:
        if child is not None:
            show_graph(child, depth + 1)


x1 = torch.tensor(2.0, requires_grad=True)
x2 = torch.tensor(5.0, requires_grad=True)
f = torch.log(x1) + x1 * x2 - torch.sin(x2)
show_graph(f.grad_fn)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 4 · Automatic differentiation
#
# The printout above starts at the output (`SubBackward0`) and indents one level per step back.
# The `AccumulateGrad` nodes at the ends stand for the inputs (the *leaves*), where gradients will
# be stored. `LogBackward0`, `MulBackward0` and `SinBackward0` are the three operations, and the
# add and the subtract join them.
#
# `f.backward()` walks that graph from the output back to the leaves, applying the chain rule
# at every node. By hand: $\partial f/\partial x_1 = 1/x_1 + x_2$ and
# $\partial f/\partial x_2 = x_1 - \cos x_2$. Both routes agree:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
f.backward()
by_hand = (1 / x1 + x2, x1 - torch.cos(x2))
print(f"autograd: df/dx1 = {x1.grad.item():.4f}, df/dx2 = {x2.grad.item():.4f}")
print(f"by hand : df/dx1 = {by_hand[0].item():.4f}, df/dx2 = {by_hand[1].item():.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 5 · Fast kernels
#
# Everything above already works, but without tuned low-level libraries it would be slow. PyTorch
# hands the arithmetic to them: **BLAS** (here Intel's **MKL**) and **oneDNN** on the CPU,
# **cuBLAS** and **cuDNN** on NVIDIA GPUs. First, which ones your build has; then what a kernel
# buys: the same 64×64 matrix product in pure Python and through BLAS. (Both outputs depend on
# the machine, and on a busy one the gap shrinks, so nothing here asserts a timing.)

# %% slideshow={"slide_type": "-"}
print("MKL (CPU BLAS)    :", torch.backends.mkl.is_available())
print("oneDNN (CPU)      :", torch.backends.mkldnn.is_available())
print("cuDNN compiled in :", torch.backends.cudnn.is_available())
print("a CUDA GPU present:", torch.cuda.is_available(), "(cuBLAS/cuDNN need one)")
for line in torch.__config__.show().splitlines():
    if line.startswith("  - ") and "Build settings" not in line:
        print(line.strip())

# %% slideshow={"slide_type": "subslide"}
import timeit


def matmul_python(a, b):  # the textbook triple loop, on nested lists
    return [[sum(x * y for x, y in zip(row, col, strict=True)) for col in zip(*b, strict=True)]
            for row in a]


seed_everything(0)
A, B = torch.rand(64, 64), torch.rand(64, 64)
t_python = min(timeit.repeat(lambda: matmul_python(A.tolist(), B.tolist()), number=1, repeat=3))
t_torch = min(timeit.repeat(lambda: A @ B, number=100, repeat=3)) / 100
print(f"pure Python {t_python * 1e3:.1f} ms, torch {t_torch * 1e6:.1f} µs: "
      f"{t_python / t_torch:,.0f}× faster")
assert torch.allclose(torch.tensor(matmul_python(A.tolist(), B.tolist())), A @ B, atol=1e-4)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Static and dynamic graphs
#
# The video-course notes ask "why PyTorch?" and answer: TensorFlow (1.x) is **static**, PyTorch is
# **dynamic**. Their section "why is Torch dynamic" was left unfinished. Here is the complete
# answer.
#
# - **Static, "define-and-run"** (TensorFlow 1.x): you first describe the whole computation as a
#   graph of symbolic placeholders, then open a session and feed data through it. The graph is
#   fixed. Branches and loops must be written as special graph operations (`tf.cond`,
#   `tf.while_loop`). When the loss refuses to go down, you are debugging a graph you cannot step
#   through.
# - **Dynamic, "define-by-run"** (PyTorch): there is no separate graph-building phase. Each
#   operation runs immediately *and* is recorded. The graph is whatever your Python code did
#   this time. It is rebuilt on every forward pass and freed after `backward()`.

# %% [markdown] slideshow={"slide_type": "notes"}
# Ask the room first: in a framework that builds the graph before any data arrives, how would you
# write a loop whose length depends on the data? Let them struggle for a minute; the next two
# slides answer it. (Chapter 14's aside shows the static side, `torch.fx` and `torch.export`,
# failing on the same function.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A new graph on every call
#
# Ordinary Python `if` decides which operation runs, so the recorded graph depends on the data:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
def branchy(x):
    if x.sum() > 0:      # a Python `if` on a tensor's *value*
        return x * 2
    return -x


up = branchy(torch.tensor([1.0, 2.0, 3.0], requires_grad=True))
down = branchy(torch.tensor([-1.0, -2.0, -3.0], requires_grad=True))
print("positive input ->", type(up.grad_fn).__name__)
print("negative input ->", type(down.grad_fn).__name__)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The notes' own example is a recurrent network, and that is where define-by-run shines.
# A plain Python loop runs once per element of the sequence, so a longer sequence records a longer
# graph, and `backward()` still reaches every weight:

# %% slideshow={"slide_type": "-"}
def count_nodes(node, seen=None):
    """Number of distinct nodes in the backward graph that ends in `node`."""
    seen = set() if seen is None else seen
    if node is not None and node not in seen:
        seen.add(node)
        for child, _ in node.next_functions:
            count_nodes(child, seen)
    return len(seen)


# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(0)
W = torch.randn(4, 4, requires_grad=True)


def tiny_rnn(sequence):                 # sequence: (T, 4)
    h = torch.zeros(4)
    for x_t in sequence:                # T steps -> T copies of the step in the graph
        h = torch.tanh(W @ h + x_t)
    return h.sum()


for steps in (2, 5):
    out = tiny_rnn(torch.randn(steps, 4))
    out.backward()
    nodes = count_nodes(out.grad_fn)
    print(f"{steps} steps: {nodes:2d} graph nodes, W.grad shape {tuple(W.grad.shape)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The trade-off, and PyTorch 2's answer
#
# | | dynamic (define-by-run) | static (graph first) |
# |---|---|---|
# | control flow | Python `if`/`for`/`while`, per input | graph ops, or specialised away |
# | debugging | `print`, breakpoints, your own line numbers | errors inside the graph runtime |
# | optimisation | one operation at a time | whole graph: fuse ops, plan memory |
# | deployment | needs Python | runs without Python |
#
# PyTorch 2 keeps the dynamic style for writing and debugging, and gets a graph back when you
# ask for speed: **`torch.compile(model)`** captures the tensor code of your Python into graphs
# and generates fused kernels for them, leaving the data-dependent branches to Python. Chapter 14
# ends with an aside on how a graph is captured from eager code (`torch.fx`, `torch.export`,
# `torch.compile`), once tensors, modules and training are familiar. (TensorFlow 2 went the other
# way: eager by default, with `tf.function` to trace graphs.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's different from the notes
#
# The notes were written for PyTorch 1.x. The book uses the current API, and each chapter points
# out the change where it matters:
#
# - `Variable(t, requires_grad=True)` → a plain tensor with `requires_grad=True`:
#   `Variable` was merged into `Tensor` in PyTorch 0.4.
# - `resnet50(pretrained=True)` → `resnet50(weights=ResNet50_Weights.DEFAULT)`: names the exact
#   weights (torchvision 0.13).
# - `dataiter.next()` → `next(dataiter)`: iterators follow Python's protocol.
# - `torch.load(path)` → `torch.load(path, weights_only=True)`: never unpickle arbitrary code.
# - `F.softmax(out)` → `F.softmax(out, dim=1)`: say which dimension sums to 1.
# - `w.data -= lr * w.grad` → an optimizer, or the update inside `with torch.no_grad():`;
#   `.data` bypasses autograd's checks.
# - `.cuda()` everywhere → `.to(device)`: one code path for CPU, CUDA and MPS.
# - `torch.jit` (TorchScript) → `torch.compile` and `torch.export`: TorchScript is deprecated.
#
# Three of those modern forms in action:

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
import tempfile
from pathlib import Path

from torch.utils.data import DataLoader, TensorDataset

loader = DataLoader(TensorDataset(torch.arange(6.0), torch.arange(6)), batch_size=4)
xb, yb = next(iter(loader))                        # not loader_iter.next()
print("first batch:", xb, yb)
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "weights.pt"
    torch.save({"w": torch.ones(2)}, path)
    print("loaded:", torch.load(path, weights_only=True))   # tensors only, no arbitrary code
print("softmax:", torch.softmax(torch.tensor([[1.0, 2.0, 3.0]]), dim=1))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Two short ones; the solutions are hidden below each. Then on to chapter 01, which opens up
# tensors and their operations; chapter 02 does the same for the graph and autograd, including
# the forward-mode computation of the $f(x_1, x_2)$ above.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **1 · A loop the data decides.** Write `power_until(x, limit)`: start with `y = x` and keep
# multiplying `y` by `x` until `y > limit`. Return `y` and the number of factors `k` (so
# `y = x**k`). For `x = 1.5` and `x = 3.0` (with `limit = 10`), check that autograd's
# `dy/dx` equals $k\,x^{k-1}$, even though the two calls record graphs of different length.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
def power_until(x, limit):
    y, k = x, 1
    while y <= limit:          # how often this runs depends on the value of x
        y, k = y * x, k + 1
    return y, k


for value in (1.5, 3.0):
    x = torch.tensor(value, requires_grad=True)
    y, k = power_until(x, 10.0)
    y.backward()
    nodes = count_nodes(y.grad_fn)
    print(f"x = {value}: k = {k}, {nodes} graph nodes, dy/dx = {x.grad.item():.4f}")
    assert torch.isclose(x.grad, k * x.detach() ** (k - 1))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **2 · Count the digits two ways.** Among the first 1000 training images, count how many
# show each digit, once from `ds.targets` and once by indexing `ds[i]`. Check the two agree.
# Which digit is the most common there?

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
n = min(1000, len(ds))
from_targets = torch.bincount(torch.as_tensor(ds.targets)[:n], minlength=10)
from_items = torch.zeros(10, dtype=torch.long)
for i in range(n):
    from_items[ds[i][1]] += 1
most_common = from_items.argmax().item()
print("per digit:", from_items.tolist(), "| most common:", most_common)
assert torch.equal(from_targets, from_items)
assert from_items[most_common] == from_items.max() > n // 10  # more than an even share
