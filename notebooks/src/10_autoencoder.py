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
# # Chapter 10 — The autoencoder: MNIST in three numbers
#
# An autoencoder is a network trained to give back its own input. That sounds pointless until
# the middle of the network is made narrow: an **encoder** must squeeze each 28×28 image — 784
# pixels — into a short **code**, and a **decoder** must rebuild the image from that code alone.
# Whatever survives the squeeze is what the network found most worth keeping. No labels are used
# anywhere: the image is its own target, so this is unsupervised learning.
#
# This chapter follows Morvan's `404_autoencoder.py`, which squeezes MNIST into **three** numbers
# so that the codes can be drawn in 3-D. We:
#
# - build his encoder 784-128-64-12-3 and decoder 3-12-64-128-784, with the shape of every layer
#   in a comment;
# - train it on the real MNIST and print the test reconstruction error after every epoch;
# - draw the 3-number codes in 3-D, coloured by digit (and fix the plot that no longer draws);
# - compare it with PCA to 3 components, the best a *linear* code can do;
# - walk along a line in the code space and decode what we find there.

# %% slideshow={"slide_type": "skip"}
import math
import time

import matplotlib.pyplot as plt
import torch
from torch import nn
from tqdm.auto import tqdm

from course_utils.config import progress_enabled
from course_utils.device import pick_device, seed_everything
from course_utils.profile import settings

cfg = settings("10")
device = pick_device()
torch.set_num_threads(1)  # see the note below: for a network this small, one thread is faster
BATCH_SIZE, LR = 64, 0.005  # Morvan's settings, in both profiles
PROGRESS = progress_enabled()  # COURSE_PROGRESS=0 (make book, the tests) hides the bars
print(f"torch {torch.__version__}, profile {cfg.profile!r}, settings {vars(cfg)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Why one CPU thread: each training step here multiplies matrices of at most 64 × 784 by
# 784 × 128, far too little work to split. Two threads spend more time waiting for each other
# than computing, and on a machine shared with other jobs they made each step far slower when
# we tried.
# A bigger network (Chapter 7's widened ones) is where more threads pay.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The data: pixels in [0, 1], flattened
#
# The decoder ends in a Sigmoid, whose outputs lie in (0, 1), so the images must be in [0, 1]
# too: `ToTensor()` without any `Normalize`, as Morvan had it. `as_tensors` with mean 0 and
# standard deviation 1 gives exactly that, once, in memory (Chapter 8). The network is made of
# linear layers, so each image is flattened to a row of 784 pixels.

# %% slideshow={"slide_type": "-"}
from course_utils.data import mnist, standin_notice
from course_utils.fastpath import TensorBatches, as_tensors

train_set, test_set = mnist(train=True), mnist(train=False)
ON_STANDIN = standin_notice(train_set)  # prints a NOTICE on the offline stand-in
images, y_train = as_tensors(train_set, (0.0,), (1.0,), device)  # (N,1,28,28), pixels in [0, 1]
x_train = images.flatten(1)  # (N,1,28,28) -> (N,784)
images, y_test = as_tensors(test_set, (0.0,), (1.0,), device)
x_test = images.flatten(1)  # (10000,784) on the real data
print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)}, pixels in [0, 1]")

# %% [markdown] slideshow={"slide_type": "subslide"}
# `TensorBatches` serves shuffled mini-batches of 64 from memory. It also hands out the labels;
# the training loop ignores them — they come back only to colour the pictures.
#
# Morvan read the pixels as `train_data.train_data`; torchvision renamed that attribute to
# `.data` (and `train_labels` to `.targets`) long ago, and `as_tensors` reads `.data`.

# %% slideshow={"slide_type": "-"}
generator = seed_everything(0)
n_train = min(cfg.train_images, len(x_train))  # the full profile uses all 60,000
x_fit, y_fit = x_train[:n_train], y_train[:n_train]
train_loader = TensorBatches(x_fit, y_fit, BATCH_SIZE, True, generator)
print(f"train on {n_train:,} images: {len(train_loader)} batches of up to {BATCH_SIZE} per epoch")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The network: an encoder and a decoder
#
# The encoder narrows 784 → 128 → 64 → 12 → 3 with Tanh between the layers; the last layer has no
# activation, so the code can take any value. The decoder mirrors it, 3 → 12 → 64 → 128 → 784,
# and ends in a Sigmoid that puts every output pixel in (0, 1). `forward` returns both the code
# and the reconstruction, as Morvan's did.


# %% slideshow={"slide_type": "subslide"}
class AutoEncoder(nn.Module):
    def __init__(self, code_size=3):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(28 * 28, 128),  # (N,784) -> (N,128)
            nn.Tanh(),
            nn.Linear(128, 64),  # (N,128) -> (N,64)
            nn.Tanh(),
            nn.Linear(64, 12),  # (N,64) -> (N,12)
            nn.Tanh(),
            nn.Linear(12, code_size),  # (N,12) -> (N,3): the code, no activation
        )
        self.decoder = nn.Sequential(
            nn.Linear(code_size, 12),  # (N,3) -> (N,12)
            nn.Tanh(),
            nn.Linear(12, 64),  # (N,12) -> (N,64)
            nn.Tanh(),
            nn.Linear(64, 128),  # (N,64) -> (N,128)
            nn.Tanh(),
            nn.Linear(128, 28 * 28),  # (N,128) -> (N,784)
            nn.Sigmoid(),  # (N,784): every pixel in (0, 1)
        )

    def forward(self, x):
        code = self.encoder(x)  # (N,784) -> (N,3)
        return code, self.decoder(code)  # (N,3), (N,784)


# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
torch.manual_seed(0)
model = AutoEncoder()
print(model)
count = {name: sum(p.numel() for p in part.parameters()) for name, part in model.named_children()}
print(f"parameters: encoder {count['encoder']:,}, decoder {count['decoder']:,}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Checking the comments on a batch
#
# A random batch of 64 goes through both halves: the code must be (64, 3), the output (64, 784)
# with every value strictly between 0 and 1, and the two halves together must give what
# `model(x)` gives.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
x = torch.rand(BATCH_SIZE, 28 * 28)
with torch.no_grad():
    code, out = model(x)
    print(f"input {tuple(x.shape)} -> code {tuple(code.shape)} -> output {tuple(out.shape)}")
    print("output in (0, 1):", bool(((out > 0) & (out < 1)).all()))
    print("same as decoder(encoder(x)):", torch.equal(out, model.decoder(model.encoder(x))))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Training: the image is its own target
#
# The loss compares the reconstruction with the input itself, with the mean squared error over
# all pixels (`nn.MSELoss()` averages over every element of the batch: its value is the error
# **per pixel**). The label `_` is never used. To measure, `test_mse` runs the whole test set
# through the model and returns the same per-pixel error.

# %% slideshow={"slide_type": "-"}
loss_fn = nn.MSELoss()


def train_epoch(model, loader, optimizer, desc="epoch"):
    """One epoch; returns the mean training loss (MSE per pixel)."""
    model.train()
    total = 0.0
    for x, _ in tqdm(loader, desc=desc, leave=False, disable=not PROGRESS):
        _, decoded = model(x)
        loss = loss_fn(decoded, x)  # the target is the input
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
    return total / len(loader.images)


@torch.no_grad()
def test_mse(model, x):
    """Reconstruction error of ``x`` (N,784): the mean squared error per pixel."""
    model.eval()
    return loss_fn(model(x)[1], x).item()


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Ten epochs of Adam
#
# Morvan's settings: Adam with learning rate 0.005, batches of 64, 10 epochs. Before the first
# step, the Sigmoid outputs sit near 0.5 for every pixel, while most MNIST pixels are 0, so the
# error starts high. Two references put the numbers in scale: predicting the **mean training
# image** for every test image (the best code of zero numbers), and later PCA.

# %% slideshow={"slide_type": "-"}
seed_everything(0)
model = AutoEncoder().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=LR)
start_mse = test_mse(model, x_test)
mean_image_mse = loss_fn(x_fit.mean(0).expand_as(x_test), x_test).item()
print(f"untrained: test MSE {start_mse:.4f} per pixel")
print(f"the mean training image for every digit: test MSE {mean_image_mse:.4f}")

# %% slideshow={"slide_type": "subslide"} tags=["slides-output-subslide"]
history = []  # test MSE after each epoch
start = time.perf_counter()
for epoch in range(cfg.epochs):
    epoch_start = time.perf_counter()
    train_loss = train_epoch(model, train_loader, optimizer, f"epoch {epoch}")
    history.append(test_mse(model, x_test))
    print(
        f"epoch {epoch}: test MSE {history[-1]:.4f}  [train loss {train_loss:.4f}, "
        f"{time.perf_counter() - epoch_start:.1f} s]"
    )
print(f"{cfg.epochs} epochs took {time.perf_counter() - start:.0f} s")
REAL_FULL_RUN = not ON_STANDIN and cfg.profile == "full"
assert history[-1] < start_mse / 2, "the error should have at least halved"
if not ON_STANDIN:  # the stand-in's few batches may not get past the mean image
    assert history[-1] < mean_image_mse, "three numbers should beat no numbers at all"

# %% [markdown] slideshow={"slide_type": "fragment"}
# The error fell from 0.2326 untrained to 0.0507 after epoch 0 and 0.0381 after epoch 9, well
# below the mean image's 0.0675. Morvan counted epochs from 0 too, but printed the loss of single
# training batches: his 404 printed "0.23" at the first step, "0.056" during epoch 0 and about
# "0.035" at epoch 9. Ours is the error over all 10,000 test images, which no training step has
# seen, and the descent has the same shape: fast in the first epoch, slow after it.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What three numbers keep
#
# Top row: test digits the network never trained on. Bottom row: what the decoder rebuilt from
# their three-number codes.

# %% slideshow={"slide_type": "-"}
from course_utils.plots import show_images

N_SHOW = 10
with torch.no_grad():
    _, rebuilt = model(x_test[:N_SHOW])
pairs = torch.cat([x_test[:N_SHOW], rebuilt]).view(-1, 1, 28, 28)  # (20,784) -> (20,1,28,28)
show_images(pairs, ncols=N_SHOW)

# %% [markdown] slideshow={"slide_type": "fragment"}
# The rebuilt digits are blurred, typical versions of a digit rather than copies: three numbers
# can say "a slanted 1" or "a round 0", not where this writer's stroke wobbled. Digits that look
# alike get confused: in the row above both 4s come back as 9s.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The code in 3-D
#
# Each test image now has three numbers, a point in 3-D. Colouring the points by their digit
# (the labels the network never saw) shows whether the encoder put similar digits together.
#
# Morvan drew the axes with `ax = Axes3D(fig)` (from `mpl_toolkits.mplot3d`). Since matplotlib 3.6
# that axes object is no longer added to the figure, so his plot comes out **empty**, without an
# error. The modern form asks the figure for a 3-D subplot: `fig.add_subplot(projection="3d")`.

# %% slideshow={"slide_type": "-"}
N_PLOT = 1000  # Morvan plotted 200 codes; more make the clusters easier to see


def plot_codes(codes, labels, title):
    """Scatter (N,3) codes in 3-D, one colour per digit."""
    codes, labels = codes.cpu().numpy(), labels.cpu().numpy()
    fig = plt.figure(figsize=(7, 6))
    ax = fig.add_subplot(projection="3d")  # not Axes3D(fig): empty since matplotlib 3.6
    points = ax.scatter(*codes.T, c=labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=8)
    fig.colorbar(points, ticks=range(10), shrink=0.6, label="digit")
    ax.set(title=title, xlabel="code 1", ylabel="code 2", zlabel="code 3")
    plt.show()


# %% slideshow={"slide_type": "subslide"}
with torch.no_grad():
    ae_codes, _ = model(x_test[:N_PLOT])  # (1000,784) -> (1000,3)
plot_codes(ae_codes, y_test[:N_PLOT], "autoencoder codes of test digits")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The 1s lie along an arm of their own, the 0s and the 2s in groups of their own, while 4, 7 and
# 9 — written with similar strokes — share one region (which is why the 4s above came back as
# 9s). Nothing told the network which digit was which; grouping them was simply the cheapest way
# to rebuild them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The linear reference: PCA to three components
#
# Principal component analysis finds the best **linear** code of a given size: centre the pixels
# (subtract the mean image), and keep the first $k$ right singular vectors $V_k$ (784 × $k$) of
# the centred data. The code of an image $x$ is $(x - \mu)V_k$, and the reconstruction
# $(x - \mu)V_kV_k^\top + \mu$ is the closest one can get with any $k$-dimensional flat
# (Eckart–Young). First a check on a small matrix: rebuilding from the top $k$ singular values,
# $U_k S_k V_k^\top$, is the same as projecting the centred rows onto $V_k$.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
small = torch.randn(100, 3) @ torch.randn(3, 6) + 0.1 * torch.randn(100, 6)  # nearly rank 3
centred = small - small.mean(0)
U, S, Vh = torch.linalg.svd(centred, full_matrices=False)
k = 3
from_svd = U[:, :k] * S[:k] @ Vh[:k]
projected = centred @ Vh[:k].T @ Vh[:k]
print("U_k S_k V_k^T == projection onto V_k:", torch.allclose(from_svd, projected, atol=1e-5))
print(f"variance kept by 3 of 6 components: {(S[:k] ** 2).sum() / (S**2).sum():.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### PCA of the training pixels
#
# The same on the training images the autoencoder learned from. `torch.linalg.svd` of the
# centred (N, 784) matrix gives all 784 components at once; the exercises use the rest.

# %% slideshow={"slide_type": "-"}
mu = x_fit.mean(0)  # (784,): the mean training image
_, S_train, Vh_train = torch.linalg.svd(x_fit - mu, full_matrices=False)  # Vh: (784,784)


def pca_rebuild(x, k):
    """Encode (N,784) images with the first k components and decode them: (N,784)."""
    V = Vh_train[:k].T  # (784,k)
    return (x - mu) @ V @ V.T + mu  # (N,784) -> (N,k) -> (N,784)


pca_mse = loss_fn(pca_rebuild(x_test, 3), x_test).item()
ae_mse = history[-1]
print(f"test MSE per pixel: autoencoder {ae_mse:.4f}, PCA-3 {pca_mse:.4f}")
ratio = ae_mse / pca_mse
print(f"the autoencoder's error is {abs(1 - ratio):.1%} {'lower' if ratio < 1 else 'higher'}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# With the same three numbers per image, the autoencoder's test error is 0.0381 and PCA-3's
# 0.0516: the autoencoder's is 26.1 % lower (`make reproduce` repeats the comparison for three
# seeds, in `results/RESULTS.md`). In the full profile on the real MNIST the next cell
# checks that the autoencoder wins; a short run, or the offline stand-in's few small digits, need
# not, and there it checks only that PCA beats the mean image, as it must.

# %% slideshow={"slide_type": "-"}
if REAL_FULL_RUN:
    assert ae_mse < pca_mse, f"autoencoder {ae_mse:.4f} vs PCA-3 {pca_mse:.4f}"
else:
    print("(a short run or the stand-in data: the autoencoder vs PCA-3 check is skipped)")
assert pca_mse < mean_image_mse

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same code in `course_utils.autoencoder`
#
# `make reproduce` repeats this comparison over three seeds with the book's copy of this
# chapter's code: `AutoEncoder` (plus a check of the input's shape), `train_epoch`,
# `reconstruction_mse` and `pca_mse`. They must give what the cells above gave: the same
# outputs from the same weights, the same errors, and the same weights after a few training
# steps from the same seed.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
from course_utils import autoencoder

library_model = autoencoder.AutoEncoder().to(device)
library_model.load_state_dict(model.state_dict())  # refuses other names or shapes
print("same test MSE:", autoencoder.reconstruction_mse(library_model, x_test) == ae_mse)
print("same PCA-3 MSE:", math.isclose(autoencoder.pca_mse(x_fit, x_test, 3), pca_mse, rel_tol=1e-6))
trained = []
for train in (train_epoch, autoencoder.train_epoch):  # ours, then the library's
    generator = seed_everything(0)
    net = AutoEncoder().to(device)
    few = TensorBatches(x_fit[:640], y_fit[:640], BATCH_SIZE, True, generator)  # 10 steps
    train(net, few, torch.optim.Adam(net.parameters(), lr=LR))
    trained.append(torch.cat([p.flatten() for p in net.parameters()]))
print("same weights after 10 steps:", torch.equal(*trained))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the nonlinear code buys
#
# PCA can only place its reconstructions on a flat 3-D slice through pixel space: every image is
# rebuilt as the mean plus a weighted sum of the same three fixed images. The autoencoder's
# decoder is a *curved* 3-D surface: it bends through pixel space to pass close to many more
# digits, and its Sigmoid keeps every pixel in range. That bending is what the 26.1 % buys.
# Rows below: test digits, the autoencoder, PCA-3; PCA turns the 7 into a blurred 9 and the 2
# into something like a 3. (Exercise 1 asks how many components PCA needs to catch up.)

# %% slideshow={"slide_type": "-"}
pca_rows = pca_rebuild(x_test[:N_SHOW], 3)  # (10,784)
rows = torch.cat([x_test[:N_SHOW], rebuilt, pca_rows]).view(-1, 1, 28, 28)  # (30,1,28,28)
show_images(rows, ncols=N_SHOW)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### PCA's codes, drawn the same way
#
# The PCA code of an image is its three coordinates $(x - \mu)V_3$. Drawn like the
# autoencoder's, the digits overlap far more: a flat projection cannot pull apart what the
# curved encoder separated.

# %% slideshow={"slide_type": "-"}
pca_codes = (x_test[:N_PLOT] - mu) @ Vh_train[:3].T  # (1000,784) -> (1000,3)
plot_codes(pca_codes, y_test[:N_PLOT], "PCA-3 codes of the same test digits")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Decoding the code space
#
# The decoder takes *any* three numbers, not only the codes of real images. Take the codes of
# two test digits, walk along the straight line between them in ten steps, and decode each
# point. Top row: the autoencoder; bottom row: the same walk in PCA's code space.

# %% slideshow={"slide_type": "-"} tags=["slides-output-subslide"]
first = {d: int((y_test == d).nonzero()[0]) for d in (1, 0)}  # the first test 1 and 0
ends = x_test[[first[1], first[0]]]  # (2,784)
t = torch.linspace(0, 1, 10, device=device).unsqueeze(1)  # (10,1): 0, 1/9, ..., 1
with torch.no_grad():
    a, b = model.encoder(ends)  # two codes, each (3,)
    ae_walk = model.decoder((1 - t) * a + t * b)  # (10,3) -> (10,784)
pa, pb = (ends - mu) @ Vh_train[:3].T  # two PCA codes, each (3,)
pca_walk = ((1 - t) * pa + t * pb) @ Vh_train[:3] + mu  # (10,3) -> (10,784)
show_images(torch.cat([ae_walk, pca_walk]).view(-1, 1, 28, 28), ncols=10)

# %% [markdown] slideshow={"slide_type": "fragment"}
# The autoencoder's walk does not fade: it passes through another digit — in this run a 5,
# drawn three times over — because the straight line from the 1s' arm to the 0s' crosses the
# region where the encoder put the 5s, and the decoder draws a digit wherever it is asked.
# PCA's walk is a cross-fade: each step is a weighted average of the two ends, a blurred 1
# dissolving into a 0.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - An autoencoder learns a code without labels: the input is the target, and a narrow middle
#   forces the network to keep what matters. `forward` returns the code and the reconstruction.
# - With a Sigmoid at the end, feed pixels in [0, 1] and measure the MSE per pixel.
# - Morvan's 784-128-64-12-3 autoencoder, 10 epochs of Adam at lr 0.005, reaches a test error of
#   0.0381 per pixel; its three numbers sort the digits into groups without ever seeing a label.
# - PCA is the best *linear* code: 0.0516 with three components. The nonlinear code of the same
#   size is 26.1 % lower, and its codes separate the digits better.
# - Decoding points between codes draws digits, not blends: the code space is full of them.
# - 3-D axes are made with `fig.add_subplot(projection="3d")`; `Axes3D(fig)` draws nothing since
#   matplotlib 3.6.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Solutions are hidden below each exercise (click to expand in JupyterLab). Try first.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 1 — how many components does PCA need?** Compute PCA's test error for 1, 2, 3, 5,
# 10, 20 and 50 components with `pca_rebuild`, and find the smallest number of components whose
# error is at most the trained autoencoder's. Check that the error falls as components are added.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
sizes = [1, 2, 3, 5, 10, 20, 50]
errors = [loss_fn(pca_rebuild(x_test, k), x_test).item() for k in sizes]
print("  ".join(f"k={k}: {e:.4f}" for k, e in zip(sizes, errors, strict=True)))
enough = next((k for k in range(1, 785) if loss_fn(pca_rebuild(x_test, k), x_test) <= ae_mse), None)
print(f"PCA needs {enough} components to match the 3-number autoencoder's {ae_mse:.4f}")
assert all(errors[i + 1] < errors[i] for i in range(len(errors) - 1))  # more k, less error
assert enough is not None and (enough > 3 or not REAL_FULL_RUN)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 — a wider code.** Build `AutoEncoder(code_size=12)` (the last encoder layer and
# the first decoder layer change: write their shapes), train it with Adam at lr 0.005 for
# `cfg.exercise_epochs` epochs on `train_loader`, and compare its test error with the 3-number
# code's and with PCA's for 12 components. Check that it learned, and on the full real run that
# it beats the 3-number code.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
seed_everything(0)
wide = AutoEncoder(code_size=12).to(device)  # last encoder layer and first decoder layer:
# Linear(12, 12), (N,12) -> (N,12): the code is (N,12)
wide_optimizer = torch.optim.Adam(wide.parameters(), lr=LR)
for epoch in range(cfg.exercise_epochs):
    train_epoch(wide, train_loader, wide_optimizer, f"wide, epoch {epoch}")
wide_mse = test_mse(wide, x_test)
pca12_mse = loss_fn(pca_rebuild(x_test, 12), x_test).item()
print(f"12-number code after {cfg.exercise_epochs} epochs: {wide_mse:.4f}")
print(f"3-number code after {cfg.epochs} epochs: {ae_mse:.4f}; PCA-12: {pca12_mse:.4f}")
assert wide_mse < start_mse / 2
assert wide_mse < ae_mse or not REAL_FULL_RUN

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 — take the bends out.** Build a *linear* autoencoder with the same layer sizes
# but no Tanh and no Sigmoid, train it like the wider one, and measure its error on the images
# it trained on (`x_fit`) next to PCA-3's on the same images. Why can it never beat PCA-3 there,
# however long it trains? Check it.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
seed_everything(0)
linear = AutoEncoder().to(device)
linear.encoder = nn.Sequential(*[m for m in linear.encoder if isinstance(m, nn.Linear)])
linear.decoder = nn.Sequential(*[m for m in linear.decoder if isinstance(m, nn.Linear)])
linear_optimizer = torch.optim.Adam(linear.parameters(), lr=LR)
for epoch in range(cfg.exercise_epochs):
    train_epoch(linear, train_loader, linear_optimizer, f"linear, epoch {epoch}")
linear_fit = test_mse(linear, x_fit)
pca_fit = loss_fn(pca_rebuild(x_fit, 3), x_fit).item()
print(f"on the training images: linear autoencoder {linear_fit:.4f}, PCA-3 {pca_fit:.4f}")
# Without activations the whole network is one affine map through a 3-number bottleneck: its
# reconstructions lie on a 3-D flat, and PCA's flat is the closest one to these images.
assert linear_fit >= pca_fit * (1 - 1e-4)
