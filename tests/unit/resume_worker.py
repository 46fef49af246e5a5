"""A small training run for test_training's resume test, run in a process of its own.

The test forks a process that runs :func:`train` (a new interpreter would spend seconds
importing torch); by hand: ``python resume_worker.py CHECKPOINT RESULT [KILL_AT_BATCH]``.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys

import torch
from torch import nn

from course_utils.fastpath import TensorBatches
from course_utils.training import fit

EPOCHS, BATCH, EXAMPLES = 4, 8, 32  # 4 batches per epoch


def train(checkpoint: str, result: str, kill_at: int | None = None) -> None:
    """Train a seeded network with dropout on shuffled TensorBatches with
    ``fit(checkpoint=checkpoint)`` (4 epochs of 4 batches, test batches and a scheduler), then
    save its final weights, history and printed output to ``result``. With ``kill_at``, the
    process SIGKILLs itself at that training batch (counted from 1 over all epochs), leaving
    only what ``fit`` had saved.
    """
    torch.set_num_threads(1)  # the same arithmetic in every run (and safe in a forked process)
    data = torch.Generator().manual_seed(1)
    x = torch.randn(EXAMPLES, 4, generator=data)
    y = (x[:, 0] + x[:, 1] > 0).long()
    torch.manual_seed(0)  # the initial weights, and the dropout masks after them
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    batches = TensorBatches(x, y, BATCH, shuffle=True, generator=torch.Generator().manual_seed(2))
    test = TensorBatches(x[:16], y[:16], BATCH)
    cross_entropy = nn.CrossEntropyLoss()
    batches_seen = 0

    def loss_fn(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        nonlocal batches_seen
        if model.training:
            batches_seen += 1
            if batches_seen == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no flush: a real crash
        return cross_entropy(outputs, targets)

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        history = fit(
            model,
            batches,
            optimizer,
            loss_fn,
            EPOCHS,
            test_batches=test,
            scheduler=scheduler,
            checkpoint=checkpoint,
        )
    result_state = {"weights": model.state_dict(), "history": history, "output": printed.getvalue()}
    torch.save(result_state, result)


if __name__ == "__main__":
    train(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None)
