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
# # Chapter 3 — Neural networks with `torch.nn`
#
# Chapter 2 gave us derivatives for free. `torch.nn` builds on that: it packages layers,
# their learnable parameters and common loss functions, so that a network is a small Python
# class and its backward pass comes from autograd.
#
# In this chapter we:
#
# - see what an `nn.Module` is and what it does for us;
# - compute a convolution by hand, check it against `F.conv2d`, and look at what LeNet's first
#   layer makes of a real digit;
# - work out the output size of convolution and pooling layers, and check the formula against
#   PyTorch (fixing the formula in the notes);
# - build LeNet for 32×32 images in both variants of the notes (3×3 and 5×5 kernels), print a
#   layer-by-layer shape table, and count its parameters;
# - learn why a single image needs a batch dimension;
# - compute a loss, follow its graph, back-propagate, and take one SGD step by hand and with
#   `torch.optim`;
# - compare `nn` modules with `nn.functional` functions, and write a layer of our own.

# %% slideshow={"slide_type": "skip"}
import copy
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.device import seed_everything

seed_everything(0)
print(f"torch {torch.__version__}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `nn.Module`: layers and networks are the same kind of object
#
# Everything in `torch.nn` that has state is an `nn.Module`: a single layer such as
# `nn.Linear`, and a whole network built from layers. A module
#
# - creates its **parameters** (tensors wrapped in `nn.Parameter`) in `__init__`,
# - computes its output in `forward(input)`; you call the module, `layer(x)`, never
#   `layer.forward(x)` (the call also runs hooks, which we use below),
# - finds the parameters of all its sub-modules, recursively (`parameters()`), and moves,
#   saves and switches them between training and evaluation mode together.
#
# We never write a backward method: autograd records the forward pass and differentiates it.

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
torch.manual_seed(0)
layer = nn.Linear(3, 4)  # (N,3) -> (N,4): y = x W^T + b
x = torch.randn(2, 3)  # a batch of N = 2 samples, 3 features each
print(layer)
print("weight", tuple(layer.weight.shape), "| bias", tuple(layer.bias.shape))  # W is (out, in)
print("output", tuple(layer(x).shape))  # one row of 4 outputs per sample
print("is a Module:", isinstance(layer, nn.Module))
print("parameters:", [name for name, _ in layer.named_parameters()])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What a convolution computes
#
# A convolution layer slides a small grid of weights, the **kernel**, over its input. At every
# position it multiplies the kernel with the window of input under it, element by element, sums
# the products and adds a bias: one output number per position,
#
# $$\text{out}[i, j] = b + \sum_{u=0}^{k-1} \sum_{v=0}^{k-1} w[u, v]\, x[i + u,\, j + v].$$
#
# Strictly this is a *cross-correlation*: the convolution of mathematics flips the kernel first.
# Deep-learning libraries skip the flip (a learned kernel can just as well be learned flipped)
# and keep the name. Written out with two loops:

# %% slideshow={"slide_type": "subslide"}
def cross_correlate(x, w, b=0.0, padding=0, stride=1):
    """One output map: x (C,H,W) one image, w (C,k,k) one kernel -> (H_out, W_out)."""
    x = F.pad(x, (padding, padding, padding, padding))  # zeros on all four sides
    k = w.shape[-1]
    rows, cols = (x.shape[1] - k) // stride + 1, (x.shape[2] - k) // stride + 1
    out = torch.empty(rows, cols)
    for i in range(rows):
        for j in range(cols):
            top, left = i * stride, j * stride
            window = x[:, top : top + k, left : left + k]  # (C,k,k), under the kernel
            out[i, j] = (window * w).sum() + b  # summed over channels and the k x k taps
    return out


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Checked against `F.conv2d`
#
# A 5×5 input holding 0 to 24 and a 3×3 kernel that subtracts each pixel's left neighbour from
# its right one (a vertical-edge detector): every window of this input rises by 1 per column,
# so every output is 2 · 3 = 6. `F.conv2d` wants batches, `(N, C, H, W)` inputs and
# `(out_channels, C, k, k)` kernels, so both gain leading dimensions of size 1.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
x = torch.arange(25.0).view(1, 5, 5)  # (C,H,W) = (1,5,5)
w = torch.tensor([[[-1.0, 0.0, 1.0]] * 3])  # (C,k,k) = (1,3,3): right minus left
by_hand = cross_correlate(x, w)
library = F.conv2d(x[None], w[None])[0, 0]  # (1,1,5,5) * (1,1,3,3) -> (1,1,3,3)
print(by_hand)
print("equal to F.conv2d:", torch.equal(by_hand, library))

# %% [markdown] slideshow={"slide_type": "fragment"}
# With **padding** the kernel also visits the border, over added zeros; with **stride** $s$ it
# jumps $s$ pixels at a time. Three random channels, a bias, padding 1 and stride 2: still equal,
# and the 5×5 input gives a 3×3 map — what the size formula of the next section predicts,
# $\lfloor (5 + 2 - 3)/2 \rfloor + 1 = 3$.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
x, w, b = torch.randn(3, 5, 5), torch.randn(3, 3, 3), torch.randn(1)  # 3 input channels
by_hand = cross_correlate(x, w, b.item(), padding=1, stride=2)
library = F.conv2d(x[None], w[None], b, padding=1, stride=2)[0, 0]  # -> (1,1,3,3)
print("shape", tuple(by_hand.shape), "| equal to F.conv2d:", torch.allclose(by_hand, library))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How big is the output? Kernel, padding, stride, pooling
#
# Before we build a convolutional network we need to know the size of each layer's output,
# because the first fully connected layer must be told how many numbers it receives.
#
# A convolution slides a $k \times k$ kernel over an $n \times n$ input. With $p$ rows/columns
# of zeros added on **each** side (padding) and a step of $s$ pixels (stride), the kernel fits at
#
# $$\text{out} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1$$
#
# positions along each axis. Why: the padded input has $n + 2p$ pixels; the first window starts
# at 0, the last must start no later than $n + 2p - k$; starts are $s$ apart, so there are
# $\lfloor (n + 2p - k)/s \rfloor$ steps plus the first window. With $s = 1$, $p = 0$ this is the
# familiar $n - k + 1$.
#
# **Pooling** uses the same formula with the pooling window as $k$. In PyTorch,
# `nn.MaxPool2d(k)` has stride $s = k$ by default (not 1), so a $2 \times 2$ pool halves the size,
# rounding down. Pooling has no learnable parameters.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the notes got wrong
#
# The convolution tutorial (seed 004) writes the stride case as
# $[(n - k + 2p + 1)/s]$ without saying how to round. Read the brackets as the usual
# "round down" (integer division, `//` in Python) and it can go wrong as soon as the stride is
# larger than 1 — already for LeNet's own $2 \times 2$ pooling of a $30 \times 30$ map, where
# it gives $\lfloor 29/2 \rfloor = 14$ instead of 15. (Rounded *up*, the expression happens to
# agree with the correct formula; but the correct formula says what is going on.)
#
# The same note says padding is "usually $p = k - 1$" while its formula adds $2p$. That mixes
# two conventions: $k - 1$ is the **total** padding that keeps the size (stride 1), so each
# side gets $(k - 1)/2$ — `padding=1` for a 3×3 kernel. With $k - 1$ on *each* side the output
# grows by $k - 1$.
#
# A general form also covers **dilation** $d$ (gaps between kernel taps; the kernel then spans
# $d(k - 1) + 1$ pixels): $\lfloor (n + 2p - d(k - 1) - 1)/s \rfloor + 1$.

# %% slideshow={"slide_type": "subslide"}
def out_size(n, k, p=0, s=1, d=1):
    """Output length of a convolution or pooling window along one axis."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def seed004_size(n, k, p=0, s=1):
    """The notes' formula, rounded down as written: [(n - k + 2p + 1) / s]."""
    return (n - k + 2 * p + 1) // s


# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output", "slides-output-subslide"]
cases = [  # (description, layer, n, k, p, s, d)
    ("conv 3x3", nn.Conv2d(1, 1, 3), 32, 3, 0, 1, 1),
    ("conv 5x5", nn.Conv2d(1, 1, 5), 32, 5, 0, 1, 1),
    ("conv 3x3, pad 1 (same)", nn.Conv2d(1, 1, 3, padding=1), 32, 3, 1, 1, 1),
    ("conv 3x3, pad 2 (p = k-1)", nn.Conv2d(1, 1, 3, padding=2), 32, 3, 2, 1, 1),
    ("conv 3x3, pad 1, stride 2", nn.Conv2d(1, 1, 3, padding=1, stride=2), 32, 3, 1, 2, 1),
    ("conv 5x5, pad 2, stride 3", nn.Conv2d(1, 1, 5, padding=2, stride=3), 28, 5, 2, 3, 1),
    ("conv 3x3, dilation 2", nn.Conv2d(1, 1, 3, dilation=2), 32, 3, 0, 1, 2),
    ("max pool 2x2", nn.MaxPool2d(2), 30, 2, 0, 2, 1),
    ("max pool 2x2", nn.MaxPool2d(2), 28, 2, 0, 2, 1),
    ("max pool 2x2", nn.MaxPool2d(2), 10, 2, 0, 2, 1),
    ("max pool 2x2", nn.MaxPool2d(2), 13, 2, 0, 2, 1),
    ("max pool 3x3, stride 2, pad 1", nn.MaxPool2d(3, stride=2, padding=1), 32, 3, 1, 2, 1),
]
print(f"{'layer':<31}{'n':>4}{'notes':>7}{'formula':>9}{'PyTorch':>9}")
wrong = 0
for name, module, n, k, p, s, d in cases:
    actual = module(torch.zeros(1, 1, n, n)).shape[-1]
    notes = seed004_size(n, d * (k - 1) + 1, p, s)  # dilation: the kernel spans d(k-1)+1
    wrong += notes != actual
    mark = "" if notes == actual else "  <- notes wrong"
    print(f"{name:<31}{n:>4}{notes:>7}{out_size(n, k, p, s, d):>9}{actual:>9}{mark}")
    assert out_size(n, k, p, s, d) == actual
print(f"formula right in all {len(cases)} rows; the notes' version wrong in {wrong}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The formula matches PyTorch in every row. The notes' version, rounded down, is right only when
# the stride divides $n + 2p - k + 1$ exactly; otherwise it comes out one too small — in the
# rows marked above, including every 2×2 pooling of an even-sized map, such as LeNet's 30 → 15.
# The 13×13 row shows what rounding down means for pooling: the 2×2 windows cover 12 rows and
# columns, and the 13th is simply dropped. (`nn.MaxPool2d(..., ceil_mode=True)` rounds up
# instead and keeps a partial window.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## LeNet for 32×32 images
#
# Both tutorials build the same small convolutional network, after Yann LeCun's LeNet: two
# convolution layers, each followed by ReLU and 2×2 max pooling, then three fully connected
# layers ending in 10 outputs, one per digit. The input is one grey channel of 32×32 pixels
# (MNIST's 28×28 digits must be resized or padded to fit).
#
# The blitz notes (seed 000) use **3×3 kernels**. With the formula: 32 → conv → 30 → pool → 15 →
# conv → 13 → pool → 6, so the first linear layer receives $16 \cdot 6 \cdot 6$ numbers. (The
# notes' comment says the 3×3 convolution "gives 6×6"; it is the two convolutions *and* the two
# poolings together.) `torch.flatten(x, 1)` replaces the notes' hand-written
# `num_flat_features` helper and `x.view(-1, ...)`: it flattens every dimension from 1 on and
# keeps dimension 0, the batch.

# %% slideshow={"slide_type": "subslide"}
class Net(nn.Module):
    """LeNet for (N, 1, 32, 32) inputs with 3x3 kernels, as in the blitz notes."""

    def __init__(self):
        super().__init__()  # the notes' super(Net, self).__init__() is the Python 2 spelling
        self.conv1 = nn.Conv2d(1, 6, 3)  # (N,1,32,32) -> (N,6,30,30)
        self.conv2 = nn.Conv2d(6, 16, 3)  # (N,6,15,15) -> (N,16,13,13)
        self.fc1 = nn.Linear(16 * 6 * 6, 120)  # (N,576) -> (N,120)
        self.fc2 = nn.Linear(120, 84)  # (N,120) -> (N,84)
        self.fc3 = nn.Linear(84, 10)  # (N,84) -> (N,10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (N,6,30,30) -> (N,6,15,15)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (N,16,13,13) -> (N,16,6,6)
        x = torch.flatten(x, 1)  # (N,16,6,6) -> (N,576), keeps the batch dimension
        x = F.relu(self.fc1(x))  # (N,576) -> (N,120)
        x = F.relu(self.fc2(x))  # (N,120) -> (N,84)
        return self.fc3(x)  # (N,84) -> (N,10)


# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(0)
net = Net()
print(net)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The 5×5 variant
#
# The convolution tutorial (seed 004) uses **5×5 kernels**: 32 → 28 → 14 → 10 → 5, so `fc1`
# receives $16 \cdot 5 \cdot 5 = 400$ numbers. `forward` is identical, so the class inherits it
# and only replaces the three layers that change.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
class Net5(Net):
    """LeNet for (N, 1, 32, 32) inputs with 5x5 kernels, as in the convolution tutorial."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)  # (N,1,32,32) -> (N,6,28,28), pooled to (N,6,14,14)
        self.conv2 = nn.Conv2d(6, 16, 5)  # (N,6,14,14) -> (N,16,10,10), pooled to (N,16,5,5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)  # (N,400) -> (N,120)


torch.manual_seed(0)
net5 = Net5()
print(net5)
size = out_size(out_size(out_size(out_size(32, 5), 2, s=2), 5), 2, s=2)
print("spatial size before fc1, from the formula:", size)
assert net5.fc1.in_features == 16 * size * size

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the first layer sees
#
# Each of `conv1`'s six kernels turns a digit into a map of its own. Below: a real test digit,
# padded from 28×28 to 32×32, through two hand-made kernels (`cross_correlate` with the
# vertical-edge kernel and its transpose, a horizontal-edge detector), then through the six 5×5
# kernels of `net5.conv1`. Those are untrained, random weights, yet they already blur, shift and
# pick out strokes; training (Chapter 8) tunes such kernels to the strokes that tell digits
# apart.

# %% slideshow={"slide_type": "subslide"}
import matplotlib.pyplot as plt
from torchvision.transforms import ToTensor

from course_utils.data import mnist

digit, label = mnist(train=False, transform=ToTensor())[0]  # (1,28,28) in [0, 1]
digit = F.pad(digit, (2, 2, 2, 2))  # (1,28,28) -> (1,32,32), the size LeNet expects
vertical = torch.tensor([[[-1.0, 0.0, 1.0]] * 3])  # (1,3,3), as above
edges = [cross_correlate(digit, k) for k in (vertical, vertical.transpose(1, 2))]  # (30,30) each
with torch.no_grad():
    maps = net5.conv1(digit[None])[0]  # (1,1,32,32) -> (1,6,28,28) -> (6,28,28)
panels = [("the digit", digit[0]), ("vertical edges", edges[0]), ("horizontal edges", edges[1])]
panels += [(f"conv1 map {c}", maps[c]) for c in range(6)]
fig, axes = plt.subplots(1, len(panels), figsize=(14, 2))
for ax, (title, image) in zip(axes, panels, strict=True):
    ax.imshow(image, cmap="gray")
    ax.set_title(title, fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Layer by layer: a shape table from forward hooks
#
# Shape comments are easy to get wrong, so let the network report its own shapes. A **forward
# hook** is a function that a module calls after every forward with `(module, inputs, output)`.
# The helper below hooks every leaf module (one without sub-modules), runs one batch, removes
# the hooks again and prints what it recorded.

# %% slideshow={"slide_type": "subslide"}
def shape_table(model, x):
    """Print the input and output shape and parameter count of each leaf module, in call order."""
    names = {m: name for name, m in model.named_modules() if not list(m.children())}
    rows = []

    def record(module, inputs, output):
        n_params = sum(p.numel() for p in module.parameters())
        rows.append((names[module], type(module).__name__, inputs[0].shape, output.shape, n_params))

    handles = [m.register_forward_hook(record) for m in names]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    print(f"{'layer':<8}{'type':<11}{'input':<18}{'output':<18}{'params':>7}")
    for name, kind, shape_in, shape_out, n_params in rows:
        print(f"{name:<8}{kind:<11}{str(tuple(shape_in)):<18}{str(tuple(shape_out)):<18}{n_params:>7}")
    return rows


# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
rows = shape_table(net, torch.zeros(4, 1, 32, 32))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Every step a module
#
# Only five rows: hooks fire for **modules**, and `F.relu`, `F.max_pool2d` and `torch.flatten`
# are plain functions called inside `forward`, invisible from outside. The jump from
# `(4, 6, 30, 30)` to `(4, 6, 15, 15)` between `conv1` and `conv2` is a pooling we cannot see.
#
# The same network can be written with a module for every step — `nn.ReLU`, `nn.MaxPool2d`,
# `nn.Flatten` — chained by `nn.Sequential` (more on `Sequential` in Chapter 4). Naming the
# layers like `Net`'s attributes gives the same parameter names, so this version can load
# `net`'s weights directly.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
lenet_seq = nn.Sequential(OrderedDict([
    ("conv1", nn.Conv2d(1, 6, 3)),  # (N,1,32,32) -> (N,6,30,30)
    ("relu1", nn.ReLU()),  # shape unchanged
    ("pool1", nn.MaxPool2d(2)),  # (N,6,30,30) -> (N,6,15,15)
    ("conv2", nn.Conv2d(6, 16, 3)),  # (N,6,15,15) -> (N,16,13,13)
    ("relu2", nn.ReLU()),  # shape unchanged
    ("pool2", nn.MaxPool2d(2)),  # (N,16,13,13) -> (N,16,6,6)
    ("flatten", nn.Flatten()),  # (N,16,6,6) -> (N,576); start_dim=1 by default
    ("fc1", nn.Linear(16 * 6 * 6, 120)),  # (N,576) -> (N,120)
    ("relu3", nn.ReLU()),  # shape unchanged
    ("fc2", nn.Linear(120, 84)),  # (N,120) -> (N,84)
    ("relu4", nn.ReLU()),  # shape unchanged
    ("fc3", nn.Linear(84, 10)),  # (N,84) -> (N,10)
]))
print(lenet_seq.load_state_dict(net.state_dict()))

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
rows = shape_table(lenet_seq, torch.zeros(4, 1, 32, 32))
assert rows[-1][3] == (4, 10)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Parameters
#
# `net.parameters()` yields every learnable tensor of the network; `named_parameters()` adds
# their names. (The second shape table, which lists every step of the forward pass, already
# showed in its `params` column where most of them sit.) The notes print `len(params)` — 10, a
# weight and a bias for each of the five layers — and the shape of the first one. Weight shapes
# follow a fixed convention:
#
# - `nn.Conv2d(in, out, k)`: weight `(out, in, k, k)` — one `in × k × k` kernel per output
#   channel — and bias `(out,)`;
# - `nn.Linear(in, out)`: weight `(out, in)` and bias `(out,)`.

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
params = list(net.parameters())
print(len(params), "parameter tensors; the first has shape", params[0].shape)
for name, p in net.named_parameters():
    print(f"{name:<12}{str(tuple(p.shape)):<14}{p.numel():>7}")
total = sum(p.numel() for p in net.parameters())
total5 = sum(p.numel() for p in net5.parameters())
print(f"total: {total:,} (3x3 kernels) | {total5:,} (5x5 kernels)")

# %% [markdown] slideshow={"slide_type": "fragment"}
# `fc1` holds most of the parameters above ($576 \cdot 120$ weights plus 120 biases). The 5×5
# variant has bigger kernels but fewer parameters in total, because its smaller 5×5 feature
# maps make `fc1` smaller: fully connected layers, not convolutions, dominate the count.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One image needs a batch dimension
#
# `torch.nn` layers work on **mini-batches**: the first dimension is the batch size `N`, so a
# conv net expects `(N, C, H, W)`. The notes say plainly that `torch.nn` "does not support a
# single sample". That was true of old versions; today many layers also accept one unbatched
# sample — `nn.Conv2d` takes a 3-D `(C, H, W)` tensor. So what happens if we pass a single
# 1×32×32 image?

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
torch.manual_seed(0)
image = torch.randn(1, 32, 32)  # one grey image, (C, H, W): no batch dimension
print("conv1 alone:", tuple(net.conv1(image).shape))  # accepted, treated as unbatched
try:
    net(image)
except RuntimeError as err:
    print("whole net:  RuntimeError:", err)
try:
    net.conv1(image[0])  # (32, 32): neither batched nor unbatched
except RuntimeError as err:
    print("2-D input:  RuntimeError:", err)

# %% [markdown] slideshow={"slide_type": "fragment"}
# The convolutions and poolings run fine and produce `(16, 6, 6)`. The trouble starts at
# `torch.flatten(x, 1)`: it keeps dimension 0 as "the batch", which is now the 16 channels, and
# hands `fc1` 16 rows of 36 numbers instead of one row of 576. Nothing complains until the shapes
# cannot be multiplied. Adding the batch dimension of size 1 with `unsqueeze(0)` (or
# `image[None]`) fixes it. And the samples of a batch never mix: four images run together give,
# row for row, the outputs of running them one at a time (up to rounding, since batched
# arithmetic may add in a different order).

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
batch = image.unsqueeze(0)  # (1,32,32) -> (1,1,32,32)
out = net(batch)
print(tuple(batch.shape), "->", tuple(out.shape))
print(out)
torch.manual_seed(1)
images = torch.randn(4, 1, 32, 32)
one_by_one = torch.cat([net(img.unsqueeze(0)) for img in images])
print("batch of 4 = one at a time:", torch.allclose(net(images), one_by_one, atol=1e-6))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Scores, not probabilities
#
# The convolution tutorial calls the ten outputs "the probability of each label". They are not:
# they are unnormalised scores (**logits**) — some negative, and they do not sum to 1.
# `torch.softmax(out, dim=1)` turns each row into probabilities. (Chapter 4 trains a classifier
# on such scores with the cross-entropy loss, which applies the softmax itself.)

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
probs = torch.softmax(out, dim=1)
print(f"scores sum to {out.sum().item():.4f}; probabilities sum to {probs.sum().item():.4f}")
print(probs)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A loss and its graph
#
# A **loss function** takes the output and a target and returns one number that measures how far
# apart they are. `nn.MSELoss` computes the mean squared error
# $\frac{1}{10}\sum_i (\text{out}_i - \text{target}_i)^2$. As in the notes, the target is random
# here — there is nothing to learn yet, we only want to see the mechanics — and is reshaped to
# `(1, 10)` to match the output.

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
torch.manual_seed(0)
net = Net()
image = torch.randn(1, 1, 32, 32)
target = torch.randn(10).view(1, -1)  # (10,) -> (1,10), the shape of the output
criterion = nn.MSELoss()
output = net(image)
loss = criterion(output, target)
print(loss)
assert torch.allclose(loss, ((output - target) ** 2).mean())

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Walking `grad_fn.next_functions`
#
# As in Chapter 2, `loss.grad_fn` is the last node of the recorded graph, and each node lists
# the nodes feeding it in `next_functions`. The notes print the nodes themselves, which shows
# memory addresses; we print class names. The notes' third line is labelled "the ReLU layer",
# but it is an `AccumulateGrad` node: a linear layer computes `addmm(bias, x, weight.T)`, so the
# **first** input of `AddmmBackward0` is the bias of `fc3`, a leaf.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
def name_of(node):
    return type(node).__name__ if node is not None else "None"


print(name_of(loss.grad_fn))
print(name_of(loss.grad_fn.next_functions[0][0]))
print(name_of(loss.grad_fn.next_functions[0][0].next_functions[0][0]))
print("inputs of AddmmBackward0:",
      [name_of(node) for node, _ in loss.grad_fn.next_functions[0][0].next_functions])

# %% [markdown] slideshow={"slide_type": "subslide"}
# To see the whole chain, follow the first input that is an operation rather than a leaf
# (`AccumulateGrad`, a parameter) or `None` (a tensor that needs no gradient: the image, the
# target). Printed in forward order, this is the notes' flow chart `conv2d -> relu -> maxpool2d
# -> ... -> linear -> MSELoss`; `ViewBackward0` is the flatten and `TBackward0` the transposed
# weight inside each linear layer.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
chain, node = [], loss.grad_fn
while node is not None:
    inputs = [child for child, _ in node.next_functions]
    chain.append(f"{name_of(node)}  <- {[name_of(c) for c in inputs]}")
    ops = [c for c in inputs if c is not None and name_of(c) != "AccumulateGrad"]
    node = ops[0] if ops else None
print("\n".join(reversed(chain)))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Backward: where the gradients land
#
# `loss.backward()` computes the derivative of the loss with respect to every tensor in the
# graph that requires grad, and stores it in that tensor's `.grad`. For the network those are
# its parameters. Look at the bias of `conv1` before and after.
#
# (Both notes first call `out.backward(torch.randn(1, 10))` on the 10-number output, and the
# blitz notes ask why the gradient is random rather than ones. As Chapter 2 showed,
# `backward(v)` computes the vector–Jacobian product $v^\top J$ for **any** $v$; a random one
# only demonstrates that. On the scalar loss, `backward()` needs no argument: $v = 1$.)

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
net.zero_grad()
print("before backward:", net.conv1.bias.grad)
loss.backward()
print("after backward: ", net.conv1.bias.grad)
first = net.conv1.bias.grad.clone()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `None` or zeros?
#
# The blitz notes print `tensor([0., 0., 0., 0., 0., 0.])` before backward, the convolution
# tutorial prints `None`. Both were right for their code and their PyTorch version:
#
# - a parameter's `.grad` is `None` until the first backward reaches it — the tutorial had just
#   created a new `Net()`, so there was no gradient yet;
# - the blitz notes had already run `out.backward(...)`, so `.grad` existed, and in PyTorch 1.x
#   `zero_grad()` filled it with zeros. Since PyTorch 2.0, `zero_grad()` defaults to
#   `set_to_none=True` and sets it back to `None` (cheaper: no memory to fill; the next backward
#   simply writes a fresh tensor). `zero_grad(set_to_none=False)` still gives the zeros.
#
# Why clear at all? Because `backward()` **adds** into `.grad` (Chapter 2): a second backward
# without clearing doubles the gradient.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
net.zero_grad()
print("zero_grad():                ", net.conv1.bias.grad)
criterion(net(image), target).backward()
criterion(net(image), target).backward()  # no clearing in between: gradients add up
print("two backwards = 2 x one:    ", torch.allclose(net.conv1.bias.grad, 2 * first))
net.zero_grad(set_to_none=False)
print("zero_grad(set_to_none=False):", net.conv1.bias.grad)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Updating the weights: one SGD step
#
# Stochastic gradient descent moves every parameter a small step against its gradient:
#
# $$w \leftarrow w - \eta \, \frac{\partial L}{\partial w}, \qquad \eta = \text{learning rate}.$$
#
# The notes write this as `f.data.sub_(f.grad.data * learning_rate)` (the blitz copy even says
# `f.grad.date`, a typo that would crash). `.data` updates the tensor behind autograd's back;
# the modern form is an in-place update inside `torch.no_grad()`, so that the update itself is
# not recorded. We take the step on one copy of a network and, next, the same step with
# `torch.optim.SGD` on an identical copy.

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
torch.manual_seed(0)
net_manual = Net()
net_optim = copy.deepcopy(net_manual)  # identical weights, for torch.optim below
learning_rate = 0.01
loss = criterion(net_manual(image), target)
loss.backward()
with torch.no_grad():
    for p in net_manual.parameters():
        p.add_(p.grad, alpha=-learning_rate)  # p <- p - lr * grad, in place
print(f"loss before the step {loss.item():.4f}, "
      f"after {criterion(net_manual(image), target).item():.4f}")

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
# Without no_grad, PyTorch refuses an in-place change of a leaf that autograd is tracking:
p = net_manual.fc3.bias
try:
    p -= learning_rate * p.grad
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same step with `torch.optim`
#
# An optimizer holds the parameters it updates; `optimizer.zero_grad()` clears their gradients
# and `optimizer.step()` applies its update rule. Plain SGD is the rule we just wrote; Chapter 6
# covers momentum, RMSprop and Adam, which only change `step()`.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
optimizer = torch.optim.SGD(net_optim.parameters(), lr=learning_rate)
optimizer.zero_grad()  # in a training loop: clear, forward, loss, backward, step
loss = criterion(net_optim(image), target)
loss.backward()
optimizer.step()
same = all(torch.equal(a, b) for a, b in zip(net_manual.parameters(), net_optim.parameters(),
                                             strict=True))
print("manual step and optim.SGD give identical parameters:", same)
assert same

# %% [markdown] slideshow={"slide_type": "subslide"}
# They agree bit for bit because `p.add_(p.grad, alpha=-lr)` is exactly the operation SGD
# performs. The more readable `p -= lr * p.grad` is the same mathematics, but it rounds
# `lr * p.grad` before subtracting, so its result may differ in the last bit: compare it with
# `torch.allclose`, not `torch.equal`.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(0)
net_readable = Net()
criterion(net_readable(image), target).backward()
with torch.no_grad():
    for p in net_readable.parameters():
        p -= learning_rate * p.grad
close = all(torch.allclose(a, b) for a, b in zip(net_readable.parameters(),
                                                 net_optim.parameters(), strict=True))
print("p -= lr * p.grad agrees with optim.SGD (allclose):", close)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `nn` modules or `nn.functional` functions?
#
# Most layers exist twice: as a module class (`nn.Linear`, `nn.Conv2d`, `nn.MaxPool2d`,
# `nn.ReLU`, `nn.Dropout`) and as a function in `torch.nn.functional` (`F.linear`, `F.conv2d`,
# `F.max_pool2d`, `F.relu`, `F.dropout`). The module stores its parameters and settings; the
# function is pure — you pass the weights in. They compute the same thing: the module's
# `forward` calls the function. Here is the university notes' example in modern form (without
# `Variable`, and `torch.equal` for one yes/no answer instead of `==`'s table of booleans).

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
torch.manual_seed(0)
x = torch.randn(2, 3)
model = nn.Linear(3, 4)  # (N,3) -> (N,4)
print("Linear    :", torch.equal(model(x), F.linear(x, model.weight, model.bias)))
conv = net.conv1
print("Conv2d    :", torch.equal(conv(image), F.conv2d(image, conv.weight, conv.bias)))
y = torch.randn(1, 6, 30, 30)
print("MaxPool2d :", torch.equal(nn.MaxPool2d(2)(y), F.max_pool2d(y, 2)))
lenet_seq.load_state_dict(net.state_dict())  # the same weights in both versions
print("LeNet     :", torch.equal(net(batch), lenet_seq(batch)), "(functional vs all modules)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Which one to use
#
# - **Layers with parameters** (`Linear`, `Conv2d`, `BatchNorm2d`): use the module. It creates
#   and registers the weights, so `parameters()`, the optimizer, `.to(device)` and
#   `state_dict()` all find them.
# - **Parameter-free operations** (`relu`, `max_pool2d`, `flatten`): either. The function is
#   shorter inside `forward`; the module is needed inside `nn.Sequential` (which only chains
#   modules), and it shows up in `print(model)` and in hooks, as the shape table showed.
# - **Operations that behave differently in training and evaluation** (dropout, batch norm):
#   prefer the module, which follows `model.train()` / `model.eval()`. `F.dropout` has its own
#   `training` argument, and it defaults to `True`.

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
class DropoutForgotten(nn.Module):
    def forward(self, x):
        return F.dropout(x, p=0.5)  # training=True always: still drops in eval mode


class DropoutFunctional(nn.Module):
    def forward(self, x):
        return F.dropout(x, p=0.5, training=self.training)  # follows train() / eval()


x = torch.ones(1, 8)
for module in [DropoutForgotten(), DropoutFunctional(), nn.Dropout(p=0.5)]:
    for mode in ("train", "eval"):
        getattr(module, mode)()  # module.train() or module.eval()
        torch.manual_seed(0)
        print(f"{type(module).__name__:<18} {mode:<6} {module(x)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# In training mode all three zero about half the entries and double the rest (so the expected
# value is unchanged). In evaluation mode `nn.Dropout` and the version that passes
# `training=self.training` leave the input alone; the forgotten one keeps dropping at test time —
# a silent bug that makes predictions random.
#
# This also answers the blitz notes' question "why `nn.MaxPool2d` now, `F.max_pool2d` before?".
# The two are the same operation (see `MaxPool2d` above); LeNet's `forward` called the function,
# while code that lists its layers in `nn.Sequential` — like the all-module LeNet above, and the
# CNNs of later chapters — needs the module. Pooling has no parameters and no train/eval
# difference, so the choice is purely one of style.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A layer of our own
#
# Writing a custom layer follows the university notes' recipe: subclass `nn.Module`, create the
# parameters in `__init__`, compute in `forward` with tensor operations or `F` functions. Any
# weight to be learned must be an `nn.Parameter`: assigning one to an attribute registers it.
# A plain tensor attribute is **not** registered — the optimizer never sees it, `state_dict()`
# does not save it, and `.to(...)` does not move it. State that is not learned but belongs to the
# layer (running statistics, masks) goes into a **buffer** with `register_buffer`.

# %% slideshow={"slide_type": "subslide"}
class ScaledLinear(nn.Module):
    """y = (x W^T + b) * scale: a linear layer with a fixed per-output scale."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.zeros(out_features))  # learned: registered
        self.register_buffer("scale", torch.ones(out_features))  # saved, not learned
        self.note = torch.zeros(out_features)  # plain tensor: invisible to PyTorch

    def forward(self, x):  # (N,in) -> (N,out)
        return F.linear(x, self.weight, self.bias) * self.scale


# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(0)
custom = ScaledLinear(3, 2)
print("parameters:", [(n, tuple(p.shape)) for n, p in custom.named_parameters()])
print("buffers:   ", [n for n, _ in custom.named_buffers()])
print("state_dict:", list(custom.state_dict()))
custom.double()  # converts parameters and buffers ...
print("dtypes after .double(): weight", custom.weight.dtype, "| scale", custom.scale.dtype,
      "| note", custom.note.dtype)  # ... but not the plain tensor

# %% [markdown] slideshow={"slide_type": "subslide"}
# Autograd differentiates the custom `forward` like any other code, so the layer trains with no
# backward of our own (only an operation autograd cannot see into needs a
# `torch.autograd.Function`, Chapter 2). A quick check: with `scale = 1` it equals `nn.Linear`
# with the same weights, and one optimizer step changes the parameters, not the buffer.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
torch.manual_seed(0)
custom = ScaledLinear(3, 2)
reference = nn.Linear(3, 2)  # (N,3) -> (N,2)
reference.load_state_dict({"weight": custom.weight, "bias": custom.bias})
x = torch.randn(5, 3)
print("equals nn.Linear:", torch.equal(custom(x), reference(x)))
optimizer = torch.optim.SGD(custom.parameters(), lr=0.1)
before = custom.weight.detach().clone()
custom(x).pow(2).mean().backward()
optimizer.step()
print("weight changed:", not torch.equal(before, custom.weight), "| scale:", custom.scale)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - An `nn.Module` declares its layers in `__init__` and computes in `forward`; autograd supplies
#   the backward. Its parameters are found recursively by `parameters()`.
# - Output size along one axis: $\lfloor (n + 2p - k)/s \rfloor + 1$, with $p$ on each side;
#   pooling is the same with stride = window by default. Round **down**.
# - `nn` layers expect a batch dimension first; add it to one sample with `unsqueeze(0)`.
# - The training step: `zero_grad()`, forward, loss, `backward()`, `step()`. Gradients are
#   `None` until the first backward and after `zero_grad()`.
# - Modules for layers with parameters or train/eval behaviour; functions for the rest, if you
#   like. Learnable tensors must be `nn.Parameter`s.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Solutions are hidden below each exercise (click to expand in JupyterLab). Try first.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 1 — predict the sizes.** A 28×28 MNIST image goes through
# `nn.Conv2d(1, 8, 5, stride=2, padding=2)`, then `nn.MaxPool2d(3, stride=2)`, then
# `nn.Conv2d(8, 16, 3, padding=1)`. Predict the height after each layer with `out_size`, then
# check your three numbers against the real layers.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
predicted = []
n = 28
for k, p, s in [(5, 2, 2), (3, 0, 2), (3, 1, 1)]:
    n = out_size(n, k, p, s)
    predicted.append(n)
layers = [
    nn.Conv2d(1, 8, 5, stride=2, padding=2),  # (1,1,28,28) -> (1,8,14,14)
    nn.MaxPool2d(3, stride=2),  # (1,8,14,14) -> (1,8,6,6)
    nn.Conv2d(8, 16, 3, padding=1),  # (1,8,6,6) -> (1,16,6,6)
]
h, actual = torch.zeros(1, 1, 28, 28), []
for layer in layers:
    h = layer(h)
    actual.append(h.shape[-1])
print("predicted", predicted, "actual", actual)
assert predicted == actual == [14, 6, 6]

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 — LeNet for 28×28 without resizing.** The LeNet-5 paper placed the 28×28 digits
# in a 32×32 field; padding the first convolution by 2 pixels on each side has the same effect
# on the shapes. Write `Net5Pad`
# (a subclass of `Net5` whose `conv1` has `padding=2`), print its `shape_table` for a batch of
# three 28×28 images, and check: the output has shape `(3, 10)`, and the parameter count equals
# `Net5`'s (why?).

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
class Net5Pad(Net5):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)  # (N,1,28,28) -> (N,6,28,28)


torch.manual_seed(0)
net5pad = Net5Pad()
rows = shape_table(net5pad, torch.zeros(3, 1, 28, 28))
count = sum(p.numel() for p in net5pad.parameters())
# Padding adds no weights, and 28 + 2*2 = 32 makes every later shape the same as Net5's.
assert rows[-1][3] == (3, 10)
assert count == sum(p.numel() for p in Net5().parameters())

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 — a learnable per-channel scale.** Write `ChannelScale(channels)`, a module with
# one learnable multiplier per channel (an `nn.Parameter` of shape `(channels,)`, initialised to
# ones) that multiplies an `(N, C, H, W)` input channel by channel. For a random input of shape
# `(2, 6, 4, 4)` and the loss `out.sum()`, the gradient of channel $c$'s multiplier is the sum of
# the input over that channel: check `weight.grad` against `x.sum(dim=(0, 2, 3))`, and check
# that the module has exactly one parameter tensor.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
class ChannelScale(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))

    def forward(self, x):  # (N,C,H,W) -> (N,C,H,W)
        return x * self.weight.view(1, -1, 1, 1)


torch.manual_seed(0)
scale = ChannelScale(6)
x = torch.randn(2, 6, 4, 4)
scale(x).sum().backward()
print(scale.weight.grad)
assert [name for name, _ in scale.named_parameters()] == ["weight"]
assert torch.allclose(scale.weight.grad, x.sum(dim=(0, 2, 3)))
