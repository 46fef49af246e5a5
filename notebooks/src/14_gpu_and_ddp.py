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
# # Chapter 14 — GPUs and scaling out
#
# All three study notes end their PyTorch basics with a section on the GPU: move the model and the
# data with `.cuda()`, pick a card with `set_device` or an environment variable, and enjoy the
# speed-up — which the blitz notes then did not see ("why no GPU speed-up? the network is too
# small"). This chapter takes those sections apart and goes one step further, to more than one
# device. We:
#
# - write device-agnostic code: one `device`, chosen once, and `.to(device)` everywhere; see what
#   `.cuda()`, `set_device` and `CUDA_VISIBLE_DEVICES` do (and what the notes' typo
#   `CUDA_VISIBLE_DEVICE` does: nothing), and load a GPU checkpoint on a CPU;
# - time a GPU correctly (its kernels run asynchronously), and measure on this CPU why a tiny net
#   gains nothing: per-step overhead, against batch size and width;
# - train with mixed precision (`torch.autocast`) in bfloat16 on the CPU, and see what float16
#   and `GradScaler` add on a GPU;
# - train with `DistributedDataParallel` in two (and three) processes launched by `torchrun`,
#   check that they take exactly the steps of one process with the whole batch, and time it;
# - read, on paper, what changes for many GPUs and many machines;
# - and, in an aside, see how `torch.fx`, `torch.export` and `torch.compile` capture a fixed graph
#   from eager code (Chapter 0's dynamic graphs, seen from the compiler's side).
#
# This book's machine has no GPU. Every cell that needs one checks for it and, without one, says
# in one line what it would have shown; the GPU numbers in the prose are quoted from the book's
# measurements on one H100, and marked as such.

# %% slideshow={"slide_type": "skip"}
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.ticker import NullFormatter
from torch import nn

from course_utils.device import pick_device, seed_everything
from course_utils.models import BlitzNet, MnistConvNet
from course_utils.paths import REPO_ROOT
from course_utils.profile import settings

cfg = settings("14")
device = pick_device()  # chosen once, here; every cell below uses it
HAS_GPU = device.type == "cuda"
CPU_THREADS = torch.get_num_threads()  # kept for the threads comparison
torch.set_num_threads(1)  # one thread for every measurement (see the note below)
print(f"torch {torch.__version__}, profile {cfg.profile!r}, settings {vars(cfg)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Threads, decided once here: every timing in this chapter runs on one CPU thread. The
# distributed training below runs one process per core with one thread each, so one thread is
# the fair comparison; on this 2-core machine shared with other jobs, one thread also gives the
# steadiest timings. One cell in section 2 measures what a second thread changes, then switches
# back.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Device-agnostic code
#
# The notes move everything with `.cuda()`: `cnn.cuda()`, `b_x = x.cuda()`, even
# `torch.max(test_output, 1)[1].cuda().data.squeeze()`. Code written that way runs only where
# there is a GPU. The modern form chooses the device **once**, then moves with `.to(device)`:
#
# - a module's `.to(device)` moves its parameters and buffers **in place** (and returns the module);
# - a tensor's `.to(device)` returns a **copy** on that device, so write `x = x.to(device)`;
# - an operation needs all its tensors on one device; mixing `cpu` and `cuda:0` is an error.
#
# `pick_device()` (Chapter 0) returns CUDA, then Apple's MPS, then the CPU; `COURSE_DEVICE=cpu`
# forces one.

# %% slideshow={"slide_type": "-"}
torch.manual_seed(0)
model = nn.Linear(4, 2).to(device)  # (N,4) -> (N,2); moved in place
x = torch.randn(3, 4)  # made on the CPU
x = x.to(device)  # a copy on `device` (the same tensor if it is there already)
print(f"weight on {model.weight.device}, input on {x.device}, output on {model(x).device}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `.cuda()` against `.to(device)`
#
# `.cuda()` is `.to("cuda")` with the device written into the code. On a machine without a GPU it
# fails — which is what the notes' `assert torch.cuda.is_available()` does too, before anything
# else runs. `.to(device)` runs the same code everywhere.

# %% slideshow={"slide_type": "-"}
try:
    nn.Linear(4, 2).cuda()
    print("nn.Linear(4, 2).cuda() worked: this machine has a GPU")
except (AssertionError, RuntimeError) as error:
    print(f"nn.Linear(4, 2).cuda() here: {type(error).__name__}: {str(error)[:60]}...")
print("nn.Linear(4, 2).to(device) here:", nn.Linear(4, 2).to(device).weight.device)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Which GPU: `cuda:N`, `set_device`, `CUDA_VISIBLE_DEVICES`
#
# On a machine with several GPUs, `"cuda"` means the *current* GPU, number 0 unless changed. Seed
# 002 names two ways to use the second one without rewriting every `.cuda()`:
#
# 1. `torch.cuda.set_device(1)` changes the current GPU for this process: `.cuda()` and
#    `device="cuda"` now mean `cuda:1`. Distributed training on GPUs (section 5) uses it, one
#    GPU per process. Writing the device out, `torch.device("cuda:1")`, is clearer still.
# 2. The environment variable `CUDA_VISIBLE_DEVICES=1`, set *before* the process starts CUDA,
#    hides every other GPU: the process sees one GPU, which it calls `cuda:0`.

# %% slideshow={"slide_type": "-"}
if not HAS_GPU:
    print(
        "No GPU: this cell would call torch.cuda.set_device(last GPU) and show that .cuda() "
        "then lands there."
    )
else:
    last = torch.cuda.device_count() - 1
    torch.cuda.set_device(last)
    print(
        f"{torch.cuda.device_count()} GPU(s); after set_device({last}): .cuda() -> "
        f"{torch.zeros(1).cuda().device}, device='cuda' -> {torch.zeros(1, device='cuda').device}"
    )
    torch.cuda.set_device(0)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The notes' typo: `CUDA_VISIBLE_DEVICE`
#
# Seed 002 writes `export CUDA_VISIBLE_DEVICE=1`, without the final S. Neither torch nor CUDA
# reads a variable of that name, so it silently changes nothing: all GPUs stay visible. We start
# a fresh Python for each setting (the variable is read when a process starts CUDA) and print
# what the process has, what torch's own parser of the variable returns
# (`torch.cuda._parse_visible_devices`, a private helper that torch uses when it counts devices;
# without the variable it means "no restriction", ids 0 to 63), and `torch.cuda.device_count()`.

# %% slideshow={"slide_type": "-"}
PROBE = """
import os, torch
visible = torch.cuda._parse_visible_devices()  # torch's own reading of the variable
shown = visible if len(visible) < 64 else "no restriction (ids 0 to 63)"
print(f"  CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r}; torch parses {shown}; "
      f"device_count() = {torch.cuda.device_count()}")
"""
clean = {k: v for k, v in os.environ.items() if not k.startswith("CUDA_VISIBLE_DEVICE")}

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
VARIABLES = [
    ("CUDA_VISIBLE_DEVICES", "1"),
    ("CUDA_VISIBLE_DEVICE", "1"),
    ("CUDA_VISIBLE_DEVICES", "0,2,3"),
]
for name, value in VARIABLES:
    print(f"export {name}={value}")
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, name: value},
        capture_output=True,
        text=True,
        check=True,
    )
    print(probe.stdout.rstrip())

# %% [markdown] slideshow={"slide_type": "subslide"}
# With the S, torch reads the variable: `1` leaves one GPU, `0,2,3` three of them. Without the S,
# the variable torch reads is unset. On this machine `device_count()` is 0 in every case, since
# there is no GPU to hide. On a machine with two GPUs the first line would count 1, the typo 2
# (both still visible), and the last only 1: the driver stops at the first id that does not exist
# (2), so only GPU 0 stays. The source of `torch.cuda` names only the S form:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
import inspect
import re

cuda_source = inspect.getsource(torch.cuda)
print("torch.cuda reads CUDA_VISIBLE_DEVICES:", "CUDA_VISIBLE_DEVICES" in cuda_source)
print(
    "torch.cuda mentions CUDA_VISIBLE_DEVICE without the S:",
    bool(re.search(r"CUDA_VISIBLE_DEVICE(?!S)", cuda_source)),
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A GPU checkpoint on a CPU: `map_location`
#
# `torch.save` records, with every tensor, the device it lived on. `torch.load` puts each tensor
# back on that device, so a state dict saved from a model on `cuda:1` fails to load on a machine
# without CUDA, or with a single GPU. `map_location` says where the tensors go instead: the
# `device` chosen above (Chapter 4 shows the call), or a mapping such as
# `{"cuda:1": "cuda:0"}`, which seed 002 mentions for moving between GPUs. `load_state_dict`
# then copies the values into the model's own tensors, wherever the model lives.

# %% slideshow={"slide_type": "-"}
WORK = tempfile.TemporaryDirectory(prefix="ch14-")  # removed when the kernel stops
work = Path(WORK.name)
torch.save(model.state_dict(), work / "linear.pt")
state = torch.load(work / "linear.pt", map_location=device, weights_only=True)
model.load_state_dict(state)
print("loaded onto:", {t.device.type for t in state.values()})

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Timing a GPU, and why a tiny net gains nothing
#
# A GPU runs **asynchronously**: each operation called from Python only *queues* a kernel and
# returns at once, while the GPU works through the queue. A clock read right after a loop of
# GPU operations measures how fast Python queued them, not how long they ran. To time a GPU:
#
# - call `torch.cuda.synchronize()` (wait until the queue is empty) before reading the clock, at
#   the start and at the end; or
# - record two `torch.cuda.Event(enable_timing=True)` in the queue and ask for the time between.
#
# Anything that needs a result on the CPU (`.item()`, `.cpu()`, `print(tensor)`) waits as well,
# which is why a training loop that prints its loss each step is timed correctly by accident.

# %% slideshow={"slide_type": "subslide"}
if not HAS_GPU:
    print(
        "No GPU: this cell would time 20 products of 4096x4096 matrices without synchronize() "
        "(only the queueing), then with synchronize() and with CUDA events (the real time)."
    )
else:
    a = torch.randn(4096, 4096, device=device)
    a @ a  # warm-up: cuBLAS sets itself up on first use
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(20):
        b = a @ a  # queued, not yet computed
    queued_ms = (time.perf_counter() - start) * 1000  # wrong: the GPU is still working
    torch.cuda.synchronize()
    synced_ms = (time.perf_counter() - start) * 1000  # right: the work is done
    begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    begin.record()
    for _ in range(20):
        b = a @ a
    end.record()
    end.synchronize()
    print(
        f"20 matmuls: {queued_ms:.1f} ms without synchronize (wrong), {synced_ms:.1f} ms with "
        f"it, {begin.elapsed_time(end):.1f} ms by CUDA events"
    )

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Per-step overhead: time per sample against batch size
#
# Every training step costs a fixed amount besides the arithmetic: Python runs the loop, every
# layer dispatches its operations (a dozen or so in the blitz net's forward pass, more backward),
# the optimizer visits every parameter. On a GPU each operation also pays a kernel launch.
# With few samples per step, that overhead is most of the step. `ms_per_step` times training
# steps of a network on one random CIFAR-sized batch held in memory (so only computation is
# timed), waiting for the GPU when there is one.


# %% slideshow={"slide_type": "-"}
def ms_per_step(model, batch_size, steps, device="cpu", max_seconds=cfg.max_seconds):
    """Milliseconds per training step (forward, loss, backward, SGD step) on one random batch:
    the mean over `steps` steps after two warm-up steps, or fewer if `max_seconds` run out."""
    device = torch.device(device)
    model = model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    x = torch.randn(batch_size, 3, 32, 32, device=device)  # (N,3,32,32), like CIFAR-10
    y = torch.randint(0, 10, (batch_size,), device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None  # async GPUs
    for step in range(-2, steps):
        if step == 0:
            sync()
            start = time.perf_counter()
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        if step >= 0 and time.perf_counter() - start > max_seconds:
            break
    sync()
    return (time.perf_counter() - start) / (step + 1) * 1000


# %% [markdown] slideshow={"slide_type": "subslide"}
# Chapter 7's blitz net (`BlitzNet()`, 6 and 16 channels) at batch 1 to 1024, each batch size
# timed over about `cfg.batch_samples` samples:

# %% slideshow={"slide_type": "-"}
BATCHES = [1, 4, 16, 64, 256, 1024]
per_sample_ms = {}
print("batch | ms per step | ms per sample | samples per second")
for batch in BATCHES:
    torch.manual_seed(0)
    step_ms = ms_per_step(BlitzNet(), batch, max(4, cfg.batch_samples // batch))
    per_sample_ms[batch] = step_ms / batch
    print(
        f"{batch:5d} | {step_ms:11.3f} | {step_ms / batch:13.4f} | {1000 * batch / step_ms:8,.0f}"
    )
gain = per_sample_ms[1] / per_sample_ms[BATCHES[-1]]
print(f"a sample costs {gain:.1f} times less at batch {BATCHES[-1]} than at batch 1")

# %% slideshow={"slide_type": "subslide"}
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(BATCHES, [per_sample_ms[b] for b in BATCHES], "o-", label="blitz net, this CPU")
ax.set(
    xscale="log",
    yscale="log",
    xlabel="batch size (log)",
    ylabel="ms per sample (log)",
    title="one training step, divided by its batch size",
)
ax.set_xticks(BATCHES, [str(b) for b in BATCHES])
ax.set_yticks([0.1, 0.2, 0.5, 1, 2], ["0.1", "0.2", "0.5", "1", "2"])
ax.yaxis.set_minor_formatter(NullFormatter())  # no labels on the minor ticks
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# The cost per sample falls steeply at first — the fixed cost of a step is shared by more
# samples — then flattens once the arithmetic dominates (the table above: compare the samples
# per second at batch 1, 16 and 1024). At the largest batches it may even rise again, when a
# batch of activations no longer fits in the CPU's caches. Timings on this shared machine vary by
# tens of percent from run to run: read the shape, not the last digit. A GPU has far more
# arithmetic to offer and a larger fixed cost per step, so there the same curve falls further
# and for longer.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Time per sample against width
#
# The notes' exercise: widen the net — the first convolution's output channels, and the second
# convolution's — and see how much the GPU gains. `BlitzNet(c1, c2)` has `c1` and `c2` channels;
# the work of `conv2` grows like $c_1 c_2$. At batch 64, `cfg.width_steps` steps per width (at
# most `cfg.max_seconds` seconds' worth):

# %% slideshow={"slide_type": "-"}
WIDTHS = [(6, 16), (64, 128), (256, 512)]
width_ms = {}
for c1, c2 in WIDTHS:
    torch.manual_seed(0)
    net = BlitzNet(c1, c2)
    width_ms[c1, c2] = ms_per_step(net, 64, cfg.width_steps)
    n_params = sum(p.numel() for p in net.parameters())
    epoch_s = width_ms[c1, c2] * math.ceil(50_000 / 64) / 1000  # 782 steps of 64
    line = (
        f"{c1:3d}/{c2:<3d} channels, {n_params:9,} parameters: {width_ms[c1, c2]:7.1f} ms "
        f"per step of 64, {width_ms[c1, c2] / 64:6.3f} ms per sample, {epoch_s:4.0f} s per epoch"
    )
    if HAS_GPU:
        line += f" | this GPU: {ms_per_step(BlitzNet(c1, c2), 64, 20, device) / 64:.4f} ms"
    print(line)
print(f"256/512 costs {width_ms[256, 512] / width_ms[6, 16]:.0f} times 6/16 per step here")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Here the time grows with the work: the last line above says how many times the narrowest net's
# step the widest one costs, and the epochs grow from seconds to many minutes on one thread —
# the same growth that the book measured with 2 threads (below).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### On a GPU (quoted)
#
# The book measured the same nets on one H100 and on 2 threads of the same host's CPU (random
# data in memory, one epoch of 50,000 images; from COURSE_PLAN's "Measured anchors", 2026-11-24):
#
# > | blitz net, one 50,000-image epoch | one H100 GPU | 2 CPU threads |
# > |---|---|---|
# > | 6/16 channels, batch 4 | 26.7 s | 31.2 s |
# > | 64/128 channels, batch 4 | 28.4 s | 107 s |
# > | 256/512 channels, batch 4 | 31.1 s | 858 s |
# > | batch 64: 6/16 · 64/128 · 256/512 channels | 1.7 · 1.9 · 1.8 s | 6.4 · 67 · 699 s |
#
# At batch 4 the H100 takes about the same time whatever the width: about 2 ms per step of
# overhead, 12,500 times. It is waiting for Python and kernel launches, not computing, and the
# small CPU is as fast. Widen the net *and* feed it 64 images per step, and the GPU does in
# "1.8 s" what 2 CPU threads do in "699 s". The seed's answer "the network is too small" is right;
# the cure is more work per step: a wider net, a bigger batch, or both.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Threads and memory layout on the CPU
#
# The CPU's own ways to get more from a step, as measured in Chapter 7: more threads (which pay
# only when a step has work to share), and the `channels_last` memory layout (`NHWC`: each pixel's
# channels side by side), which the CPU's convolution library prefers. The same two nets, at the
# two extremes:

# %% slideshow={"slide_type": "-"}
CASES = {"6/16 at batch 4": ((6, 16), 4), "64/128 at batch 64": ((64, 128), 64)}
for name, (channels, batch) in CASES.items():
    steps, row = max(cfg.width_steps, cfg.batch_samples // batch), []
    for threads in sorted({1, CPU_THREADS}):
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        row.append(f"{threads} thread(s) {ms_per_step(BlitzNet(*channels), batch, steps):7.2f} ms")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    layout = BlitzNet(*channels).to(memory_format=torch.channels_last)
    row.append(f"1 thread, channels_last {ms_per_step(layout, batch, steps):7.2f} ms")
    print(f"{name:18s} (ms per step): " + " | ".join(row))
torch.set_num_threads(1)  # back to one thread for the rest of the chapter

# %% [markdown] slideshow={"slide_type": "fragment"}
# In the output above a second thread does nothing for the small net at batch 4 (or makes it
# slower): its operations are too small to share. For 64/128 at batch 64 the second thread cuts
# the step clearly, and `channels_last` alone helps less. Threads and layouts are worth
# measuring once a step has real work; for a tiny step nothing on the CPU side helps much.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The next bottleneck on a GPU: the data
#
# Once the GPU computes fast, the data pipeline is what it waits for. The book's measurement
# (COURSE_PLAN, one H100): seed 003's ConvNet, one 60,000-image epoch at batch 512,
#
# > | fed from | one H100 GPU | 2 CPU threads |
# > |---|---|---|
# > | tensors already in memory | 0.26 s | 7.1 s |
# > | a PIL → ToTensor → Normalize DataLoader, 0 workers | 8.3 s | 28 s |
# > | the same, 2 workers | 4.5 s | 8.8 s |
#
# — decoding images one by one costs "32×" the compute on the GPU. Hence the book's fast path
# (Chapter 5: decode once into tensors) and, for a GPU, two switches that overlap copying with
# computing:
#
# - `DataLoader(..., pin_memory=True)` puts each batch in **page-locked** ("pinned") CPU memory,
#   which the GPU can copy from directly, by DMA, without a staging copy;
# - `x.to(device, non_blocking=True)` then queues that copy and returns at once, so the CPU can
#   prepare the next batch while the GPU copies and computes (from unpinned memory it cannot
#   overlap).

# %% slideshow={"slide_type": "subslide"}
from torch.utils.data import DataLoader, TensorDataset

data = TensorDataset(torch.randn(256, 3, 32, 32), torch.randint(0, 10, (256,)))
loader = DataLoader(data, batch_size=64, pin_memory=HAS_GPU)  # pinned only when it helps
for xb, yb in loader:
    xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
print(f"{len(loader)} batches, the last one on {xb.device}, from pinned memory: {HAS_GPU}")
with warnings.catch_warnings(record=True) as caught:  # what pin_memory=True does without a GPU
    warnings.simplefilter("always")
    next(iter(DataLoader(data, batch_size=64, pin_memory=True)))
print("pin_memory=True here:", "; ".join(str(w.message) for w in caught) or "no warning")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Without an accelerator `pin_memory=True` only warns and is ignored, so device-agnostic code
# asks for it only when there is a GPU: `pin_memory=HAS_GPU`, or `device.type == "cuda"`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Mixed precision
#
# Most of a network's arithmetic does not need float32's 24 bits of precision. Inside
# `torch.autocast`, operations that gain from a narrower type (matrix products, convolutions)
# run in float16 or bfloat16, while those that need the range or precision (losses, sums,
# normalisations) stay in float32. The weights themselves stay float32: autocast casts copies
# as it goes. The two 16-bit types split their bits differently:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
for dtype in (torch.float32, torch.bfloat16, torch.float16):
    info = torch.finfo(dtype)
    print(
        f"{str(dtype):15s} largest {info.max:9.3g}, smallest normal {info.tiny:9.3g}, "
        f"step at 1 {info.eps:.3g}"
    )
tiny_gradient = torch.tensor(1e-8)  # a plausible gradient of a deep net's early layer
print(
    "1e-8 as bfloat16:",
    tiny_gradient.to(torch.bfloat16).item(),
    "| as float16:",
    tiny_gradient.to(torch.float16).item(),
)

# %% [markdown] slideshow={"slide_type": "fragment"}
# bfloat16 keeps float32's exponent — the same range — and gives up precision (2 to 3
# significant digits); float16 keeps more precision but overflows above 65,504 and flushes
# small numbers to zero: a gradient of `1e-8` becomes exactly 0 in float16. That is why float16
# training needs a `GradScaler` (below) and bfloat16 does not.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Which operations autocast changes
#
# Inside `torch.autocast(device_type="cpu", dtype=torch.bfloat16)` a linear layer computes in
# bfloat16; its weight is still float32, and so is the gradient that backward leaves in it.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
layer = nn.Linear(8, 4)  # (N,8) -> (N,4)
with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
    out = layer(torch.randn(2, 8))  # (2,8) -> (2,4)
out.float().sum().backward()
print(
    "output:", out.dtype, "| weight:", layer.weight.dtype, "| weight.grad:", layer.weight.grad.dtype
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### bfloat16 against float32 on the MNIST ConvNet
#
# Chapter 8's ConvNet (`course_utils.models.MnistConvNet`) trained from the same seed on the same
# `cfg.amp_images` training digits for `cfg.amp_epochs` epoch(s), batch 64, Adam — once in float32
# and once under autocast — then tested on the 10,000 test digits the same way.

# %% slideshow={"slide_type": "-"}
from course_utils.data import mnist, standin_notice
from course_utils.fastpath import TensorBatches, as_tensors

train_set, test_set = mnist(train=True), mnist(train=False)
ON_STANDIN = standin_notice(train_set)  # prints a NOTICE on the offline stand-in
x_train, y_train = as_tensors(train_set, (0.1307,), (0.3081,))  # on the CPU: autocast "cpu"
x_test, y_test = as_tensors(test_set, (0.1307,), (0.3081,))
n_amp = min(cfg.amp_images, len(x_train))
print(f"train on {n_amp:,} digits, test on {len(x_test):,}")


# %% slideshow={"slide_type": "subslide"}
def train_and_test(bf16):
    """Train MnistConvNet (seed 0) in float32 or under bfloat16 autocast; (seconds, accuracy)."""
    generator = seed_everything(0)
    net = MnistConvNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    batches = TensorBatches(x_train[:n_amp], y_train[:n_amp], 64, True, generator)
    start = time.perf_counter()
    for _ in range(cfg.amp_epochs):
        for xb, yb in batches:
            with torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = F.nll_loss(net(xb), yb)  # the net ends in log_softmax
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad(), torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=bf16):
        accuracy = (net(x_test).argmax(1) == y_test).float().mean().item()
    return seconds, accuracy


# %% slideshow={"slide_type": "subslide"}
amp = {name: train_and_test(bf16) for name, bf16 in [("float32", False), ("bfloat16", True)]}
for name, (train_seconds, accuracy) in amp.items():
    print(f"{name:8s}: {train_seconds:5.1f} s of training, test accuracy {accuracy:.4f}")
print(
    f"bfloat16 took {amp['bfloat16'][0] / amp['float32'][0]:.2f} times float32's time; "
    f"CPU: {torch.backends.cpu.get_cpu_capability()}"
)
accuracies = {name: accuracy for name, (_, accuracy) in amp.items()}
assert min(accuracies.values()) > 0.5, accuracies
if not ON_STANDIN:
    assert abs(accuracies["bfloat16"] - accuracies["float32"]) < 0.03, accuracies

# %% [markdown] slideshow={"slide_type": "fragment"}
# The output above compares the two: the ratio of their times (below 1, bfloat16 saved time; on
# this shared machine it varies from run to run) and their test accuracies, which agree closely
# (the cell asserts less than 3 points apart). The capability torch reports for
# this CPU is printed with it; on CPUs without fast bfloat16 instructions (AVX512-BF16, AMX) the
# casts can cost more than they save, so measure before relying on it. What carries over to
# every device is the accuracy: arithmetic in 16 bits, weights and loss in float32, nothing lost.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### On a GPU: float16 and `GradScaler`
#
# GPUs before the A100 have no fast bfloat16, so mixed precision there means float16, and
# float16's narrow range (above) would flush small gradients to zero. `GradScaler` multiplies
# the loss by a large factor before `backward()` — every gradient grows by the same factor,
# out of the underflow zone — then divides the gradients again before the optimizer's step. If
# any gradient overflowed to `inf`, it skips that step and lowers the factor; after a run of good
# steps it raises it again. The cell runs only with a GPU.

# %% slideshow={"slide_type": "-"}
if not HAS_GPU:
    print(
        "No GPU: this cell would train the ConvNet for a few steps in float16 with "
        "torch.amp.GradScaler('cuda') and print the loss and the loss scale."
    )
else:
    torch.manual_seed(0)
    net = MnistConvNet().to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cuda")
    for xb, yb in TensorBatches(x_train[:6400], y_train[:6400], 64):
        xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            loss = F.nll_loss(net(xb), yb)
        optimizer.zero_grad()
        scaler.scale(loss).backward()  # gradients of loss x scale
        scaler.step(optimizer)  # unscales; skips the step if a gradient is inf or nan
        scaler.update()  # adjusts the scale for the next step
    print(f"float16 + GradScaler: last loss {loss.item():.3f}, scale {scaler.get_scale():.0f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Scaling out: DistributedDataParallel
#
# **Data parallelism** (数据并行): start one process per device, each with a full copy of the
# model. At every step each process takes its own share of the global batch, computes its loss
# and its gradients, and then the processes **all-reduce** the gradients — every process ends up
# with their average. Each process then takes the same optimizer step from the same weights, so
# the copies never drift apart. The words of `torch.distributed`:
#
# - the **process group**: the processes that train together, and the backend they talk through
#   (`gloo` for CPUs, `nccl` for NVIDIA GPUs);
# - the **world size**: how many processes there are; each one's **rank**, 0 to world size − 1;
# - `DistributedDataParallel` (DDP) wraps the model and runs the all-reduce during `backward()`,
#   in buckets, overlapped with the backward pass itself.
#
# The official DDP tutorial needs 8 GPUs as written. `scripts/ddp_train.py` runs on CPUs: gloo,
# launched by `torchrun --standalone`, which starts the processes on this machine and gives each
# its rank. It is a file, not a notebook cell, because the processes must import the code they
# run, and functions defined in a notebook cannot be sent to new processes (pytorch#62943).

# %% slideshow={"slide_type": "subslide"}
SCRIPT = REPO_ROOT / "scripts" / "ddp_train.py"
SCRIPT_LINES = SCRIPT.read_text().splitlines()


def show_script(first, count):
    """Print `count` lines of the script, from the first line that contains `first`."""
    start = next(i for i, line in enumerate(SCRIPT_LINES) if first in line)
    for number, line in enumerate(SCRIPT_LINES[start : start + count], start + 1):
        print(f"{number:4d}  {line}")


show_script("missing = missing_launcher_variables", 2)
show_script("return 2", 1)
print("   ...")
show_script("torch.set_num_threads(1)  # one core", 5)
print("   ...")
show_script("    finally:", 2)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Setup and teardown.** `torchrun` gives each process its rank, the world size and the address
# of a rendezvous point (`MASTER_ADDR`, `MASTER_PORT`) in environment variables;
# `init_process_group("gloo")` reads them and waits until all the processes have joined. Without
# them it would wait forever, so the script first checks they are there. `destroy_process_group`
# in a `finally` closes the group even when training fails.

# %% slideshow={"slide_type": "subslide"}
show_script("sampler = DistributedSampler", 3)
print("   ...")
show_script("for epoch in range(args.epochs)", 11)

# %% [markdown] slideshow={"slide_type": "fragment"}
# **Each process its share.** `DistributedSampler` draws one permutation of the data from a seed
# shared by all processes, and gives rank $r$ the examples at positions $r$, $r + W$,
# $r + 2W$, … ($W$ the world size). `set_epoch(epoch)` changes that seed every epoch — forget it
# and every epoch repeats the first one's order. The model is wrapped in
# `DistributedDataParallel` with no `device_ids`: on CPUs the model stays where it is.
# Each process reads `--batch-size` examples per step, so the **global batch** is the per-process
# batch × the world size: 2 processes at batch 64 take the steps of one process at 128.

# %% slideshow={"slide_type": "subslide"}
show_script("if rank == 0:", 4)
print("   ...")
show_script("dist.barrier()", 5)

# %% [markdown] slideshow={"slide_type": "fragment"}
# **Saving once.** All processes hold the same weights, so rank 0 alone writes them (several
# processes writing one file would corrupt it). `dist.barrier()` makes every process wait there
# until all have arrived — so no process reads `model.pt` before rank 0 has written it; here each
# one checks that the saved weights equal its own.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Two processes at batch 64, one at batch 128
#
# `launch` runs the script under `torchrun` in a subprocess, waits, and reads rank 0's
# `run.json`: the mean loss of every global batch, whether all ranks held the same gradients
# after every `backward()` (the script gathers them from every process and compares), and the
# seconds of the training loop.

# %% slideshow={"slide_type": "-"}
TORCHRUN = Path(sys.executable).parent / "torchrun"


def launch(processes, batch_size, name):
    """Run scripts/ddp_train.py in `processes` processes; return (rank 0's record, wall s)."""
    out = work / name
    command = [
        str(TORCHRUN),
        "--standalone",
        f"--nproc_per_node={processes}",
        str(SCRIPT),
        "--out",
        str(out),
        "--batch-size",
        str(batch_size),
    ]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    wall = time.perf_counter() - start
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout.strip())
    return json.loads((out / "run.json").read_text()), wall


# %% slideshow={"slide_type": "subslide"}
two, two_wall = launch(2, 64, "two")
one, one_wall = launch(1, 128, "one")

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
steps_equal = two["steps"] == one["steps"]
loss_gap = max(abs(a - b) for a, b in zip(two["losses"], one["losses"], strict=True))
print("gradients equal on every rank after every backward:", two["gradients_agree"])
print(
    f"global batch {two['global_batch_size']} = {two['world_size']} x {two['batch_size']}; "
    f"the same number of steps as one process at {one['batch_size']}: {steps_equal}"
)
print("max loss difference below 1e-5:", loss_gap < 1e-5)

# %% slideshow={"slide_type": "subslide"}
print(f"largest difference between the two loss curves: {loss_gap:.1e}")
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(one["losses"], lw=4, alpha=0.4, label="1 process, batch 128")
ax.plot(two["losses"], "k--", lw=1, label="2 processes, batch 64 each")
ax.set(xlabel="step", ylabel="loss of the global batch", title="the same steps")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# The curves lie on top of each other: the two runs differ only in the order in which
# floating-point numbers were added (`2.4e-07` at most, the output above). That is the
# promise of DDP: `N` processes at batch `B` take the steps of one process at batch `N·B`.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Is it faster?

# %% slideshow={"slide_type": "-"}
for name, record, wall in [("1 process ", one, one_wall), ("2 processes", two, two_wall)]:
    print(
        f"{name}: training loop {record['seconds']:5.2f} s, the whole launch {wall:5.1f} s "
        f"({record['steps']} steps of a global batch of {record['global_batch_size']})"
    )
print(
    f"2 processes / 1 process: {two['seconds'] / one['seconds']:.2f} for the loop, "
    f"{two_wall / one_wall:.2f} for the launch"
)

# %% [markdown] slideshow={"slide_type": "fragment"}
# No: the output above shows two processes taking longer than one, for the training loop and
# for the whole launch. Both are about size:
#
# - The model has 1,604 parameters: a step's arithmetic takes microseconds, and halving it saves
#   nothing. What the second process adds is communication at every step — DDP's all-reduce of
#   the gradients and, in this script, an `all_gather` of every gradient (the check) and an
#   all-reduce of the loss — each a round trip between processes.
# - Starting is most of the launch: `torchrun` and every process import torch and meet at the
#   rendezvous, seconds against a fraction of a second of training.
#
# Data parallelism pays when a step's computation is large against the cost of exchanging the
# gradients: a big model on big batches, one process per GPU, NCCL over fast links.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Three processes: padding
#
# 4,096 examples do not split evenly into 3. `DistributedSampler` repeats the first few examples
# of the permutation until every process has the same number — here ⌈4096 / 3⌉ = 1,366 each,
# 4,098 in all — because every process must take the same number of steps: a process that
# finished early would leave the others waiting in an all-reduce forever. (`drop_last=True` drops
# the remainder instead.) The full profile runs it; the fast one skips it to save a launch
# (Exercise 2 checks the padding without launching anything).

# %% slideshow={"slide_type": "-"}
if cfg.three_processes:
    three, _ = launch(3, 64, "three")
    per_rank = math.ceil(4096 / 3)
    batches_per_epoch = math.ceil(per_rank / 64)
    print(
        f"{per_rank} examples per process, {3 * per_rank} in all "
        f"({3 * per_rank - 4096} repeated): {batches_per_epoch} steps per epoch"
    )
    assert three["gradients_agree"] and three["steps"] == 2 * batches_per_epoch
else:
    print("fast profile: the 3-process launch is skipped; the full profile runs it")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Without `torchrun`
#
# Run as plain `python`, the script has no rank, no world size and no rendezvous address. It
# checks for them and stops at once with exit status 2, naming the command to use.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
plain = subprocess.run(
    [sys.executable, "scripts/ddp_train.py", "--out", "build/ch14_plain"],
    cwd=REPO_ROOT,
    capture_output=True,
    text=True,
    timeout=120,
    check=False,
)
print("exit status:", plain.returncode)
print(plain.stderr.strip())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Many GPUs, many machines (on paper)
#
# The script above is what runs here. On GPUs, four things change:
#
# ```python
# local_rank = int(os.environ["LOCAL_RANK"])  # this process's GPU on this machine
# torch.cuda.set_device(local_rank)  # "cuda" now means this process's GPU
# dist.init_process_group(backend="nccl")  # NVIDIA's collective library, GPU to GPU
# model = DistributedDataParallel(model.to(local_rank), device_ids=[local_rank])
# # ... and every batch: x, y = x.to(local_rank, non_blocking=True), ...
# ```
#
# One process per GPU (`--nproc_per_node=8` on a machine with 8), each pinned to its own GPU. With
# `device_ids` DDP knows where the model lives; NCCL moves the gradients GPU to GPU. The rank is
# global across machines; `LOCAL_RANK` counts the processes on one machine.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### More than one machine
#
# The same command on every machine, with the number of machines and a rendezvous point that all
# of them can reach (the host and port of one of them; the c10d backend runs the rendezvous in
# torchrun itself):
#
# ```bash
# # on each of 2 machines with 8 GPUs (16 processes), the same line:
# torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d \
#     --rdzv_endpoint=node0.example:29500 --rdzv_id=job42 train.py
# ```
#
# The older static form gives each machine its number with `--node_rank=0` / `--node_rank=1`
# and the address with `--master_addr` / `--master_port`. `--standalone`, used above, is the
# one-machine shortcut: a rendezvous on a free local port.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Batch norm across processes: `SyncBatchNorm`
#
# Chapter 13's batch norm computes its mean and variance over the batch it sees. Under DDP each
# process sees only its share: 8 processes at a global batch of 256 normalise over 32 examples
# each, with noisier statistics, and each process's running statistics drift apart.
# `nn.SyncBatchNorm` all-reduces the statistics, so every process normalises over the global
# batch; `convert_sync_batchnorm` swaps every BN layer of a model (it needs GPUs and a process
# group to run, but the swap itself works anywhere):

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
torch.manual_seed(0)
bn_net = nn.Sequential(
    nn.Conv2d(1, 8, 3),  # (N,1,28,28) -> (N,8,26,26)
    nn.BatchNorm2d(8),  # statistics over this process's batch
    nn.ReLU(),
)
print(nn.SyncBatchNorm.convert_sync_batchnorm(bn_net))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### When the model no longer fits: FSDP
#
# DDP keeps a full copy of the model, its gradients and the optimizer's state (Adam: two more
# numbers per weight) on every device. When that no longer fits, **fully sharded data parallel**
# (`torch.distributed.fsdp.fully_shard`) splits all three across the processes: each stores its
# slice, gathers a layer's full weights just before it needs them, and frees them after; the
# gradients are reduce-scattered, each process keeping the slice it updates. Memory per device
# falls about in proportion to the number of processes, for more communication. Beyond that come
# tensor and pipeline parallelism, which split the layers themselves.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. An aside: capturing a graph from eager code
#
# Chapter 0 answered the notes' "why is Torch dynamic": every call records a new graph, so a
# Python `if` or `for` decides what runs. Compilers and deployment want the opposite, one fixed
# graph of the whole computation, to fuse operations, plan memory, or run without Python. PyTorch
# has three ways to capture one from eager code, and a branch on a tensor's value is what each must
# deal with. Chapter 0's example:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
def branchy(x):
    if x.sum() > 0:  # a Python `if` on a tensor's *value*
        return x * 2
    return -x


print(branchy(torch.tensor([1.0, 2.0])), branchy(torch.tensor([-1.0, -2.0])))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Asking for a fixed graph: `torch.fx`
#
# `torch.fx.symbolic_trace` builds a graph the static way. It calls your function once with
# symbolic placeholders (*proxies*) instead of numbers and records what happens to them. A
# placeholder has no value, so a branch on a value cannot be decided:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
import torch.fx  # noqa: E402 (the aside's own import)

try:
    torch.fx.symbolic_trace(branchy)
except Exception as err:
    print(type(err).__name__, "-", str(err).splitlines()[0])

# %% [markdown] slideshow={"slide_type": "subslide"}
# Without data-dependent control flow, tracing works and yields a graph you can print, inspect,
# transform and compile. It is the same graph on every call, and it can be turned back into plain
# Python code that computes the same thing:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
def straight(x):
    return torch.relu(x * 2 + 1).sum()


gm = torch.fx.symbolic_trace(straight)
print(gm.graph)
print(gm.code.strip())
x = torch.tensor([-2.0, 0.0, 3.0])
print("same result:", torch.equal(gm(x), straight(x)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `torch.export`: specialise, or refuse
#
# `torch.export.export` captures a whole model for deployment. It runs the code with example
# inputs. A branch on a **shape** is decided once for the example and *baked in*: the exported
# graph keeps only one side, and guards check that later inputs match. A branch on a **value**
# (our `branchy`) cannot be baked in, so export refuses it.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
class ShapeBranch(torch.nn.Module):
    def forward(self, x):
        if x.shape[0] > 2:   # decided at export time, from the example's shape
            return x * 2
        return -x


exported = torch.export.export(ShapeBranch(), (torch.ones(3),))
print(exported.graph_module.code.strip())
try:
    exported.module()(torch.ones(2))      # a shape the graph was not built for
except Exception as err:
    print(type(err).__name__, "-", str(err).splitlines()[0])

# %% slideshow={"slide_type": "subslide"}
import contextlib  # noqa: E402 (the aside's own imports)
import io  # noqa: E402
import logging  # noqa: E402


class ValueBranch(torch.nn.Module):
    def forward(self, x):
        return branchy(x)


logging.getLogger("torch.fx.experimental.symbolic_shapes").setLevel(logging.ERROR)  # quiet
try:
    with contextlib.redirect_stderr(io.StringIO()):   # export also prints the partial graph
        torch.export.export(ValueBranch(), (torch.ones(3),))
except Exception as err:
    print(type(err).__name__, "-", str(err).splitlines()[0])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `torch.compile`: graphs where it can, Python where it must
#
# `torch.compile(model)` needs neither placeholders nor example inputs chosen in advance. On the
# first call it reads the function's Python bytecode and captures the straight-line tensor code
# into graphs; at a branch on a value it ends the graph ("a graph break"), lets Python decide, and
# captures again after it; when shapes change it compiles again. The graphs go to a compiler
# (TorchInductor by default) that fuses operations into generated kernels. The price is the
# compile time of the first calls, and a small network, bound by per-step overhead (section 2),
# gains little. To export a model with a value branch, the branch must become a graph operation,
# `torch.cond(pred, f_true, f_false, (x,))`: the static style again. TorchScript (`torch.jit`),
# PyTorch 1's way to a static graph, is deprecated; the book does not use it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Choose `device` once and move with `.to(device)`: a module moves in place, a tensor returns
#   a copy. `.cuda()` and `assert torch.cuda.is_available()` tie the code to a GPU.
# - `torch.cuda.set_device(i)` sets the current GPU; `CUDA_VISIBLE_DEVICES` (with the S) hides
#   the others before the process starts. The notes' `CUDA_VISIBLE_DEVICE` does nothing.
# - `torch.load(..., map_location=device, weights_only=True)` loads a GPU checkpoint anywhere.
# - GPU work is asynchronous: `torch.cuda.synchronize()` or CUDA events before reading a clock.
# - Each step has a fixed overhead; a tiny net at a small batch is bound by it on any device.
#   A GPU pays when each step has work: wide nets, big batches. Then the data pipeline is next:
#   tensors in memory, `pin_memory` and `non_blocking`.
# - `torch.autocast` runs matrix products in 16 bits and keeps losses in float32; bfloat16 has
#   float32's range, float16 needs `torch.amp.GradScaler("cuda")`.
# - DDP: one process per device, a `DistributedSampler` (with `set_epoch`), gradients
#   all-reduced in `backward()`; N processes at batch B take one process's steps at batch N·B.
#   On a 2-core CPU it teaches; on GPUs (NCCL, `device_ids`, `torchrun --nnodes`) it scales.
# - A compiler wants one fixed graph: `torch.fx` traces with placeholders and cannot follow a
#   branch on a value, `torch.export` bakes shape branches in and refuses value branches, and
#   `torch.compile` breaks the graph there and lets Python decide.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Solutions are hidden below each exercise (click to expand in JupyterLab). Try first.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 1 — where the overhead stops mattering.** From `per_sample_ms` (section 2), find the
# smallest batch size from which going on to the next size in `BATCHES` (four times larger) cuts
# the time per sample by less than 10 %. Print the cut at every step.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
cuts = {
    small: 1 - per_sample_ms[big] / per_sample_ms[small]
    for small, big in zip(BATCHES, BATCHES[1:], strict=False)
}
print("  ".join(f"{small} -> next: {cut:.0%}" for small, cut in cuts.items()))
knee = next((small for small, cut in cuts.items() if cut < 0.10), BATCHES[-1])
if knee == BATCHES[-1]:
    print("every step of BATCHES still saved 10 % or more per sample: try larger batches")
else:
    print(f"from batch {knee} on, a four times larger batch saves less than 10 % per sample")
assert knee in BATCHES
assert knee == BATCHES[-1] or cuts[knee] < 0.10

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 — the sampler's shares, by hand.** Given `num_replicas` and `rank`,
# `DistributedSampler` needs no process group, so it can be built here for every rank. For the
# script's 4,096 examples (seed 0), check that at every step of epochs 0 and 1 the batches of 32
# that 2 ranks read make up exactly the batch of 64 that one process reads, that `set_epoch`
# changes the order, and that 3 ranks each get 1,366 examples that together cover all 4,096.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
from torch.utils.data import DistributedSampler


def rank_batches(world_size, rank, batch_size, epoch):
    """The index batches one rank reads in `epoch`, as the script's DataLoader forms them."""
    share = DistributedSampler(range(4096), num_replicas=world_size, rank=rank, seed=0)
    share.set_epoch(epoch)
    return torch.tensor(list(share)).split(batch_size)


matches = []
for epoch in (0, 1):
    ranks = [rank_batches(2, rank, 32, epoch) for rank in (0, 1)]
    for first, second, whole in zip(*ranks, rank_batches(1, 0, 64, epoch), strict=True):
        matches.append(torch.equal(torch.cat([first, second]).sort().values, whole.sort().values))
shares = [set(DistributedSampler(range(4096), num_replicas=3, rank=r, seed=0)) for r in range(3)]
print(f"{sum(matches)} of {len(matches)} steps: 2 ranks x 32 = 1 process x 64")
covered = set().union(*shares)
print(f"3 ranks: {[len(s) for s in shares]} distinct examples each, {len(covered)} in all")
new_order = not torch.equal(rank_batches(1, 0, 64, 0)[0], rank_batches(1, 0, 64, 1)[0])
assert all(matches) and len(matches) == 2 * 64 and new_order
assert covered == set(range(4096))
assert [len(list(DistributedSampler(range(4096), 3, r, seed=0))) for r in range(3)] == [1366] * 3

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 — what autocast changes.** Inside `torch.autocast(device_type="cpu",
# dtype=torch.bfloat16)`, pass a float32 batch through a `Conv2d`, a `Linear`, a ReLU, `softmax`,
# `log_softmax`, `F.cross_entropy` and `F.mse_loss`, and print the dtype each gives. Which run in
# bfloat16? (CPU and CUDA autocast keep different lists; look up `torch.autocast`'s op lists.)

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
torch.manual_seed(0)
images, targets = torch.randn(2, 1, 8, 8), torch.tensor([0, 3])
with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
    conv_out = nn.Conv2d(1, 2, 3)(images)  # (2,1,8,8) -> (2,2,6,6)
    logits = nn.Linear(72, 4)(conv_out.flatten(1))  # (2,72) -> (2,4)
    dtypes = {
        "Conv2d": conv_out.dtype,
        "Linear": logits.dtype,
        "relu": F.relu(logits).dtype,
        "softmax": F.softmax(logits, dim=1).dtype,
        "log_softmax": F.log_softmax(logits, dim=1).dtype,
        "cross_entropy": F.cross_entropy(logits, targets).dtype,
        "mse_loss": F.mse_loss(logits, torch.zeros(2, 4)).dtype,
    }
print("\n".join(f"{op:13s} {dtype}" for op, dtype in dtypes.items()))
assert dtypes["Linear"] == torch.bfloat16 and dtypes["Conv2d"] == torch.bfloat16
assert dtypes["cross_entropy"] == torch.float32
# On the CPU softmax and log_softmax follow their input (bfloat16 here); CUDA's autocast runs
# them in float32. The losses are computed in float32 on both.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 4 — trace it** (section 6). Trace `h(x) = sin(x) * x + 1` with
# `torch.fx.symbolic_trace`. How many operation nodes (not input or output) does the graph have?
# Check that the traced module gives the same values as `h`. Then write a version that starts
# with `if x.max() > 0:` and confirm that tracing it fails.

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution"]
def h(x):
    return torch.sin(x) * x + 1


traced = torch.fx.symbolic_trace(h)
ops = [node for node in traced.graph.nodes if node.op not in ("placeholder", "output")]
print(len(ops), "operations:", [node.name for node in ops])
x = torch.linspace(-3, 3, 7)
assert len(ops) == 3 and torch.equal(traced(x), h(x))


def h_branchy(x):
    return h(x) if x.max() > 0 else x


try:
    torch.fx.symbolic_trace(h_branchy)
    failed = False
except torch.fx.proxy.TraceError:
    failed = True
assert failed
