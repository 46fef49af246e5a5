"""scripts/ddp_train.py under torchrun on the CPU (gloo): what DistributedDataParallel promises.

Each test launches real processes (``torchrun --standalone``, a few seconds each on 2 cores), so
they are marked ``slow``: ``make test`` runs them, ``make unit`` does not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "ddp_train.py"
TORCHRUN = Path(sys.executable).parent / "torchrun"
pytestmark = pytest.mark.slow


def launch(out: Path, processes: int, batch_size: int) -> dict:
    """Run the script under torchrun with ``processes`` workers; return rank 0's record."""
    command = [str(TORCHRUN), "--standalone", f"--nproc_per_node={processes}", str(SCRIPT)]
    result = subprocess.run(
        [*command, "--out", str(out), "--batch-size", str(batch_size)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((out / "run.json").read_text())


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("ddp2")
    return out, launch(out, processes=2, batch_size=64)


def test_every_rank_holds_the_same_averaged_gradients(two_processes) -> None:
    _, record = two_processes
    assert record["world_size"] == 2 and record["global_batch_size"] == 128
    assert record["gradients_agree"] is True and record["steps"] == 2 * 4096 // 128


def test_two_processes_at_batch_b_follow_one_process_at_batch_2b(two_processes, tmp_path) -> None:
    _, record = two_processes
    alone = launch(tmp_path, processes=1, batch_size=128)
    assert alone["steps"] == record["steps"]
    assert torch.allclose(torch.tensor(record["losses"]), torch.tensor(alone["losses"]), atol=1e-5)
    assert record["losses"][-1] < 0.8 * record["losses"][0]  # and it learned


def test_rank_0_saved_weights_that_load_with_weights_only(two_processes) -> None:
    out, _ = two_processes
    state = torch.load(out / "model.pt", weights_only=True)
    assert [tuple(t.shape) for t in state.values()] == [(64, 20), (64,), (4, 64), (4,)]


def test_three_processes_split_the_data_with_padding(tmp_path) -> None:
    record = launch(tmp_path, processes=3, batch_size=64)
    # DistributedSampler pads 4,096 examples to 4,098 = 3 x 1,366: 22 batches per epoch each
    assert record["world_size"] == 3 and record["steps"] == 2 * 22 and record["gradients_agree"]


def test_plain_python_stops_at_once_and_names_torchrun(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "the launcher's environment is missing (RANK" in result.stderr
    assert "torchrun --standalone --nproc_per_node=2" in result.stderr
    assert not (tmp_path / "run.json").exists()
