"""Data-parallel training with DistributedDataParallel on CPUs (gloo), for Chapter 14.

Launch it with torchrun, one process per "device" (here: per CPU core)::

    torchrun --standalone --nproc_per_node=2 scripts/ddp_train.py --out build/ddp

Every process builds the same model from the same seed, reads its own share of each global batch
through a ``DistributedSampler`` (reshuffled every epoch by ``set_epoch``), and DDP averages the
gradients across the processes during ``backward()``. So ``N`` processes at ``--batch-size B``
take the same steps as one process at batch ``N·B`` over the same data, and the script checks
what DDP promises: after every ``backward()`` each process holds the same gradients
(``all_gather``). Rank 0 alone writes the model (``weights_only``-loadable) and a JSON record of
the loss per step; a barrier keeps the others from reading the file before it exists.

Run as plain ``python`` it stops at once with the torchrun command to use: without the launcher's
environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ...) ``init_process_group`` would wait for
peers that never come.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

LAUNCHER_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
SAMPLES, FEATURES, CLASSES = 4096, 20, 4


def missing_launcher_variables(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """The variables torchrun sets for each process that ``environ`` lacks."""
    return [name for name in LAUNCHER_VARIABLES if name not in environ]


def make_data(seed: int = 0) -> TensorDataset:
    """A fixed classification task: 4,096 points of 20 features, 4 classes from a random linear
    teacher (the same tensors in every process: they come from the seed, not from the rank)."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(SAMPLES, FEATURES, generator=generator)
    teacher = torch.randn(FEATURES, CLASSES, generator=generator)
    y = (x @ teacher + 0.5 * torch.randn(SAMPLES, CLASSES, generator=generator)).argmax(1)
    return TensorDataset(x, y)


def make_model(seed: int = 0) -> nn.Module:
    """A small MLP, the same initial weights in every process (seeded before it is built)."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(FEATURES, 64),  # (N,20) -> (N,64)
        nn.ReLU(),
        nn.Linear(64, CLASSES),  # (N,64) -> (N,4)
    )


def gradients_agree(model: nn.Module, world_size: int) -> bool:
    """Whether every process holds the same gradients: gathered from all, compared with ours."""
    mine = torch.cat([p.grad.flatten() for p in model.parameters()])
    everyone = [torch.empty_like(mine) for _ in range(world_size)]
    dist.all_gather(everyone, mine)
    return all(torch.equal(mine, theirs) for theirs in everyone)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for model.pt, run.json")
    parser.add_argument("--batch-size", type=int, default=64, help="per process")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def train(args: argparse.Namespace, rank: int, world_size: int) -> dict[str, object]:
    """Train on this process's share of every batch; return the record rank 0 writes."""
    dataset = make_data(args.seed)
    # Each process reads len/world_size examples per epoch; the sampler's seed is shared, so the
    # processes split one permutation between them instead of drawing their own.
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=args.seed)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)
    model = DistributedDataParallel(make_model(args.seed))  # CPU: no device_ids
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    losses, agreed, start = [], True, time.perf_counter()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new permutation each epoch, the same in every process
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()  # DDP all-reduces (averages) the gradients here
            agreed &= gradients_agree(model, world_size)
            optimizer.step()
            mean_loss = loss.detach().clone()
            dist.all_reduce(mean_loss)  # the sum over processes ...
            losses.append(mean_loss.item() / world_size)  # ... as the global batch's mean loss
    return {
        "world_size": world_size,
        "batch_size": args.batch_size,
        "global_batch_size": args.batch_size * world_size,
        "steps": len(losses),
        "losses": losses,
        "gradients_agree": agreed,
        "seconds": time.perf_counter() - start,
        "model": model.module,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    missing = missing_launcher_variables(os.environ)
    if missing:
        print(
            f"ddp_train: the launcher's environment is missing ({', '.join(missing)}): run me "
            f"with torchrun, e.g.\n  torchrun --standalone --nproc_per_node=2 {sys.argv[0]} "
            f"--out {args.out}",
            file=sys.stderr,
        )
        return 2
    torch.set_num_threads(1)  # one core per process
    dist.init_process_group(backend="gloo")  # reads RANK, WORLD_SIZE, MASTER_ADDR/PORT
    try:
        rank, world_size = dist.get_rank(), dist.get_world_size()
        record = train(args, rank, world_size)
        model = record.pop("model")
        if rank == 0:
            args.out.mkdir(parents=True, exist_ok=True)
            torch.save(model.state_dict(), args.out / "model.pt")
            (args.out / "run.json").write_text(json.dumps(record, indent=1))
            print(
                f"ddp_train: {world_size} process(es) x batch {args.batch_size} = global batch "
                f"{record['global_batch_size']}, {record['steps']} steps, last loss "
                f"{record['losses'][-1]:.4f}, gradients equal on every rank: "
                f"{record['gradients_agree']}, {record['seconds']:.1f} s"
            )
        dist.barrier()  # nobody reads model.pt before rank 0 has written it
        state = torch.load(args.out / "model.pt", weights_only=True)
        same = all(torch.equal(state[k], v) for k, v in model.state_dict().items())
        if not same:
            raise RuntimeError(f"rank {rank}: the saved weights differ from this process's")
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
